-- is_invalid_email: true only for an email that is given but is no address.
with cases (input, expected) as (
    values
    ('  Ava.1@Example.COM ', false),
    ('Zoë@Exämple.DE', false),
    ('n/a', true),
    ('john.doe@', true),
    ('a..b@example.com', true),
    ('   ', false),
    ('', false),
    (null, false)
)

select *
from cases
where {{ is_invalid_email('input') }} is distinct from expected
