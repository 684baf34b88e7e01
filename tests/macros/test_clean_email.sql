-- clean_email: lowercases and trims valid addresses, nulls everything else.
with cases (input, expected) as (
    values
    ('  Ava.1@Example.COM ', 'ava.1@example.com'),
    ('o''brien+news@mail.example.co.uk', 'o''brien+news@mail.example.co.uk'),
    ('n/a', null),
    ('john.doe@', null),
    ('foo at bar.com', null),
    ('x@y', null),
    ('@example.com', null),
    ('a..b@example.com', null),
    ('', null),
    (null, null)
)

select *
from cases
where {{ clean_email('input') }} is distinct from expected
