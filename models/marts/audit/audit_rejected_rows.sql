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
),

requests as (
    select * from {{ ref('int_erasure_requests') }}
),

erased_identifiers as (
    select identities.identifier_value
    from {{ ref('int_identities_stitched') }} as identities
    inner join {{ ref('int_erased_customers') }} as erased
        on identities.customer_id = erased.customer_id
),

-- rejected rows of people who asked to be erased keep their reason, not their content
flagged as (
    select
        rejected.*,
        (
            sha256({{ clean_email("json_extract_string(rejected.raw_record, '$.email')") }}) in (
                select requests.email_sha256 from requests
            )
            or {{ clean_email("json_extract_string(rejected.raw_record, '$.email')") }} in (
                select erased_identifiers.identifier_value from erased_identifiers
            )
            or json_extract_string(rejected.raw_record, '$.contact_id') in (
                select erased_identifiers.identifier_value from erased_identifiers
            )
            or json_extract_string(rejected.raw_record, '$.anonymous_id') in (
                select erased_identifiers.identifier_value from erased_identifiers
            )
        ) is true as is_erased
    from rejected
)

select
    -- identical raw rows rejected twice keep two rows, numbered apart
    md5(
        source_table || '|' || raw_record || '|'
        || row_number() over (partition by source_table, raw_record order by rejection_reason)
    ) as rejected_row_id,
    source_table,
    case when is_erased then null else raw_key end as raw_key,
    rejection_reason,
    case when is_erased then '{"erased": true}' else raw_record end as raw_record,
    {{ as_of_timestamp() }} as as_of_at
from flagged
