-- clean_text, normalize_code and normalize_currency on their edge cases.
with cases (input, expected_text, expected_code, expected_currency) as (
    values
    ('  Completed ', 'Completed', 'completed', 'COMPLETED'),
    (' eur', 'eur', 'eur', 'EUR'),
    ('', null, null, '{{ var("base_currency") }}'),
    ('   ', null, null, '{{ var("base_currency") }}'),
    (null, null, null, '{{ var("base_currency") }}')
)

select *
from cases
where {{ clean_text('input') }} is distinct from expected_text
    or {{ normalize_code('input') }} is distinct from expected_code
    or {{ normalize_currency('input') }} is distinct from expected_currency
