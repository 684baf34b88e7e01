-- Each base model must hold exactly the raw table's rows (no fan-out, no loss),
-- so audit_row_counts.raw_rows is the true raw count.
with counts as (
    {%- for table in raw_tables() %}
    select
        '{{ table.source_table }}' as source_table,
        (select count(*) from {{ source(table.source_name, table.source_table) }}) as raw_rows,
        (select count(*) from {{ ref(table.base) }}) as base_rows
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select *
from counts
where raw_rows != base_rows
