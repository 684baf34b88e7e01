-- clean_email: lowercases and trims valid addresses (internationalised ones too), nulls everything else.
with cases (input, expected) as (
    values
    ('  Ava.1@Example.COM ', 'ava.1@example.com'),
    ('o''brien+news@mail.example.co.uk', 'o''brien+news@mail.example.co.uk'),
    ('Zoë@Exämple.DE', 'zoë@exämple.de'),
    ('ЮЛИЯ@ПОЧТА.РФ', 'юлия@почта.рф'),
    ('user@xn--80a1acny.xn--p1ai', 'user@xn--80a1acny.xn--p1ai'),
    ('zoë@exämple', null),
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
