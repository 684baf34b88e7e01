-- is_implausible_timestamp: infinite, pre-1970 and far-future values are out of
-- range; ordinary ones, and ones shortly after as_of, are not. Spark has no
-- infinite timestamp: parse_timestamp reads infinity there as these sentinels.
with cases (value, expected) as (
    values
    {%- if target.type == 'spark' %}
    (cast('0001-01-01 00:00:00' as timestamp), true),
    (cast('9999-12-31 23:59:59.999999' as timestamp), true),
    {%- else %}
    (cast('-infinity' as timestamp), true),
    (cast('infinity' as timestamp), true),
    (cast('290309-12-22 (BC)' as timestamp), true),
    {%- endif %}
    (cast('1969-12-31 23:59:59' as timestamp), true),
    (cast('1970-01-01 00:00:00' as timestamp), false),
    (cast('2024-06-01 12:00:00' as timestamp), false),
    ({{ as_of_timestamp() }} + interval 1 day, false),
    (cast('9999-01-01' as timestamp), true)
)

select *
from cases
where {{ is_implausible_timestamp('value') }} is distinct from expected
