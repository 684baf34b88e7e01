with

rejected as (
    {%- for table in raw_tables() %}
    select
        '{{ table.source_table }}' as source_table,
        raw_key,
        rejection_reason,
        raw_record
    from {{ ref(table.base) }}
    where rejection_reason is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    -- identical raw rows rejected twice keep two rows, numbered apart
    md5(
        source_table || '|' || raw_record || '|'
        || row_number() over (partition by source_table, raw_record order by rejection_reason)
    ) as rejected_row_id,
    source_table,
    raw_key,
    rejection_reason,
    raw_record,
    {{ as_of_timestamp() }} as as_of_at
from rejected
