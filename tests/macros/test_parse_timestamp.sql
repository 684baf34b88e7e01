{#- Spark has no infinite timestamp: infinity reads as these sentinels there -#}
{%- set infinity = "timestamp '9999-12-31 23:59:59.999999'" if target.type == 'spark' else "timestamp 'infinity'" %}
{%- set minus_infinity = "timestamp '0001-01-01 00:00:00'" if target.type == 'spark' else "timestamp '-infinity'" %}
-- parse_timestamp: ISO-8601 with Z, an offset or none (UTC), to UTC; a compact
-- date yyyymmdd; epoch seconds, milliseconds and microseconds by magnitude
-- (|v| in [1e8, 1e11), [1e11, 1e14), [1e14, 1e17)); anything else to null.
with cases (input, expected) as (
    values
    ('2026-03-01T10:00:00Z', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01T12:00:00+02:00', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01T05:00:00-05:00', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01T10:00:00', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01 10:00:00', timestamp '2026-03-01 10:00:00'),
    ('2026-03-01', timestamp '2026-03-01 00:00:00'),
    (' 2026-03-01 ', timestamp '2026-03-01 00:00:00'),
    -- 8 digits: a compact date, not an epoch; an impossible one is unparseable
    ('20260301', timestamp '2026-03-01 00:00:00'),
    ('20261399', null),
    -- epoch seconds (as text, as a typed integer or double cast to text, with decimals)
    ('1772359200', timestamp '2026-03-01 10:00:00'),
    ('1772359200.0', timestamp '2026-03-01 10:00:00'),
    ('1772359200.25', timestamp '2026-03-01 10:00:00.25'),
    ('100000000', timestamp '1973-03-03 09:46:40'),
    ('9999999999', timestamp '2286-11-20 17:46:39'),
    ('-2000000000', timestamp '1906-08-16 20:26:40'),
    -- epoch milliseconds
    ('1772359200123', timestamp '2026-03-01 10:00:00.123'),
    ('1000000000000', timestamp '2001-09-09 01:46:40'),
    ('9999999999999', timestamp '2286-11-20 17:46:39.999'),
    -- epoch microseconds
    ('1772359200123456', timestamp '2026-03-01 10:00:00.123456'),
    ('1000000000000000', timestamp '2001-09-09 01:46:40'),
    ('9999999999999999', timestamp '2286-11-20 17:46:39.999999'),
    -- the gaps between the ranges: a year-9999 sentinel in seconds or
    -- milliseconds is unparseable, never a plausible 1978
    ('253402300799', null),
    ('253402300799000', null),
    ('10000000000', null),
    ('100000000000', null),
    ('10000000000000', null),
    ('100000000000000', null),
    -- numbers outside every epoch range, or not plain numbers, are unparseable
    ('0', null),
    ('-1', null),
    ('99999999', null),
    ('2026', null),
    ('10000000000000000', null),
    ('99999999999999999999', null),
    ('1e+17', null),
    ('1e308', null),
    ('NaN', null),
    -- infinities are read, and rejected as out of range by is_implausible_timestamp
    ('inf', {{ infinity }}),
    ('-infinity', {{ minus_infinity }}),
    ('', null),
    ('not a date', null),
    -- a '-' fifth that is no ISO time (read by the ISO branch, which comes first)
    ('2026-13-45', null),
    ('-123-4', null),
    (null, null)
)

select *
from cases
where {{ parse_timestamp('input') }} is distinct from expected

union all

-- typed numbers, passed to the macro as typed columns (it reads each as DuckDB
-- writes it as text): epochs, or an 8-digit date
{%- set typed_numbers = [
    ("cast(1772359200 as bigint)", "timestamp '2026-03-01 10:00:00'"),
    ("cast(1772359200123 as bigint)", "timestamp '2026-03-01 10:00:00.123'"),
    ("cast(1772359200.5 as double)", "timestamp '2026-03-01 10:00:00.5'"),
    ("cast(1772359200123 as double)", "timestamp '2026-03-01 10:00:00.123'"),
    ("cast(1772359200.5 as decimal(18, 3))", "timestamp '2026-03-01 10:00:00.5'"),
    ("cast(20260301 as integer)", "timestamp '2026-03-01 00:00:00'"),
    ("cast('nan' as double)", "cast(null as timestamp)"),
    ("cast(1e300 as double)", "cast(null as timestamp)"),
] %}
{%- for value, expected in typed_numbers %}
select
    cast(typed.input as {{ dbt.type_string() }}) as input,
    typed.expected
from (select {{ value }} as input, {{ expected }} as expected) as typed
where {{ parse_timestamp('typed.input') }} is distinct from typed.expected
{{ 'union all' if not loop.last }}
{% endfor %}

union all

select
    cast(input as {{ dbt.type_string() }}) as input,
    expected
from (
    values
    {%- if target.type == 'spark' %}
    (timestamp '2026-03-01 10:00:00', timestamp '2026-03-01 10:00:00')
    {%- else %}
    (timestamptz '2026-03-01 12:00:00+02', timestamp '2026-03-01 10:00:00'),
    (timestamptz 'infinity', timestamp 'infinity')
    {%- endif %}
) as typed_timestamps (input, expected)
where {{ parse_timestamp('input') }} is distinct from expected
