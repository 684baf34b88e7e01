{#- tables that identify a person by several optional identifiers: their base model records
    identifiers set aside (placeholders, emails that are no address) and keeps the row by the others -#}
{%- set with_person_identifiers = ['crm_contacts', 'orders', 'web_events', 'experiment_assignments'] -%}

with

{% for table in raw_tables() %}
raw_{{ table.source_table }} as (
    select
        '{{ table.source_table }}' as source_table,
        count(*) as raw_rows,
        count(*) filter (where rejection_reason is null and is_duplicate) as duplicate_rows,
        {%- if table.source_table in with_person_identifiers %}
        count(*) filter (where has_placeholder_identifier) as placeholder_identifier_rows,
        {%- else %}
        cast(0 as bigint) as placeholder_identifier_rows,
        {%- endif %}
        {%- if table.source_table in with_person_identifiers %}
        count(*) filter (where rejection_reason is null and has_invalid_email) as invalid_email_rows
        {%- else %}
        cast(0 as bigint) as invalid_email_rows
        {%- endif %}
    from {{ ref(table.base) }}
),

accepted_{{ table.source_table }} as (
    {%- if table.resolved %}
    -- well-formed rows a later step resolves: accepted are those it keeps
    select count(*) as accepted_rows
    from {{ ref(table.resolved) }}
    where rejection_reason is null
    {%- else %}
    select count(*) as accepted_rows from {{ ref(table.staging) }}
    {%- endif %}
),
{% endfor %}

malformed as (
    select
        source_table,
        count(*) as malformed_lines
    from {{ ref('audit_malformed_raw_lines') }}
    group by source_table
),

rejected as (
    select
        source_table,
        count(*) as rejected_rows
    from {{ ref('audit_rejected_rows') }}
    group by source_table
),

counts as (
    {%- for table in raw_tables() %}
    select
        raw_{{ table.source_table }}.source_table,
        raw_{{ table.source_table }}.raw_rows,
        accepted_{{ table.source_table }}.accepted_rows,
        raw_{{ table.source_table }}.duplicate_rows,
        raw_{{ table.source_table }}.placeholder_identifier_rows,
        raw_{{ table.source_table }}.invalid_email_rows
    from raw_{{ table.source_table }}
    cross join accepted_{{ table.source_table }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    counts.source_table,
    counts.raw_rows,
    counts.accepted_rows,
    coalesce(rejected.rejected_rows, 0) as rejected_rows,
    counts.duplicate_rows,
    counts.raw_rows
    - counts.accepted_rows
    - coalesce(rejected.rejected_rows, 0)
    - counts.duplicate_rows as unaccounted_rows,
    counts.placeholder_identifier_rows,
    counts.invalid_email_rows,
    coalesce(malformed.malformed_lines, 0) as malformed_lines,
    {{ as_of_timestamp() }} as as_of_at
from counts
left join rejected
    on counts.source_table = rejected.source_table
left join malformed
    on counts.source_table = malformed.source_table
