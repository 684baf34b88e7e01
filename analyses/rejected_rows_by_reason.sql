-- Where did the rejected raw rows come from, and why? Compile with
-- `dbt compile -s rejected_rows_by_reason` and run the SQL in target/.
with

rejected as (
    select * from {{ ref('audit_rejected_rows') }}
)

select
    source_table,
    rejection_reason,
    count(*) as rejected_rows,
    min(raw_key) as example_key
from rejected
group by source_table, rejection_reason
order by source_table asc, rejected_rows desc
