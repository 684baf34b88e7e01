-- parse_timestamp: ISO-8601 with Z, an offset or none (UTC), to UTC; junk to null.
with cases (input, expected) as (
    values
    ('2026-03-01T10:00:00Z', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01T12:00:00+02:00', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01T05:00:00-05:00', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01T10:00:00', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01 10:00:00', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01', timestamp '2026-03-01 00:00:00'),
    ('not a date', null),
    (null, null)
)

select *
from cases
where {{ parse_timestamp('input') }} is distinct from expected
