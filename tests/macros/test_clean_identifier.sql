-- clean_identifier: placeholders (any case, padded) and blanks are null; real ids are kept.
with cases (raw, expected_id, expected_placeholder) as (
    values
    ('C-001', 'C-001', false),
    ('  C-002 ', 'C-002', false),
    ('null', null, true),
    ('NULL', null, true),
    (' Undefined ', null, true),
    ('0', null, true),
    ('-', null, true),
    ('00000000-0000-0000-0000-000000000000', null, true),
    ('0001', '0001', false),
    ('nullable', 'nullable', false),
    ('', null, false),
    (null, null, false)
),

checked as (
    select
        raw,
        expected_id,
        expected_placeholder,
        {{ clean_identifier('raw') }} as actual_id,
        {{ is_placeholder_identifier('raw') }} as actual_placeholder
    from cases
)

select *
from checked
where actual_id is distinct from expected_id
    or actual_placeholder is distinct from expected_placeholder
