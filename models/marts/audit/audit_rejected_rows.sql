{#- A raw field of a rejected row by its column name, whatever its case or
    padding in the raw file's header ('EMAIL', ' Email '). -#}
{%- set raw_fields = {
    'email': json_field_ci('rejected.raw_record', 'email'),
    'contact_id': json_field_ci('rejected.raw_record', 'contact_id'),
    'anonymous_id': json_field_ci('rejected.raw_record', 'anonymous_id'),
} %}

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
    {%- if table.resolved %}
    union all
    -- well-formed rows rejected when resolved (an unknown or erased id, an unknown experiment)
    select
        '{{ table.source_table }}' as source_table,
        raw_key,
        rejection_reason,
        raw_record
    from {{ ref(table.resolved) }}
    where rejection_reason is not null
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

requests as (
    select * from {{ ref('int_erasure_requests') }}
),

erased_hashes as (
    select
        identifier_type,
        identifier_sha256
    from {{ ref('stg_erasure__identifiers') }}
),

erased_identifiers as (
    select identities.identifier_value
    from {{ ref('int_identities_stitched') }} as identities
    inner join {{ ref('int_erased_customers') }} as erased
        on identities.customer_id = erased.customer_id
),

-- base models already empty the rows of people who asked to be erased
-- ('erased'); any other rejected row carrying one of their identifiers keeps
-- its reason, not its content
flagged as (
    select
        rejected.*,
        (
            rejected.rejection_reason = 'erased'
            or {{ sha256_hex(erasure_email_key(raw_fields.email)) }} in (
                select requests.email_sha256 from requests
            )
            or {{ sha256_hex(erasure_email_key(raw_fields.email)) }} in (
                select erased_hashes.identifier_sha256 from erased_hashes
                where erased_hashes.identifier_type = 'email'
            )
            or {{ sha256_hex(clean_identifier(raw_fields.contact_id)) }} in (
                select erased_hashes.identifier_sha256 from erased_hashes
                where erased_hashes.identifier_type = 'contact_id'
            )
            or {{ sha256_hex(clean_identifier(raw_fields.anonymous_id)) }} in (
                select erased_hashes.identifier_sha256 from erased_hashes
                where erased_hashes.identifier_type = 'anonymous_id'
            )
            or {{ clean_email(raw_fields.email) }} in (
                select erased_identifiers.identifier_value from erased_identifiers
            )
            or {{ clean_identifier(raw_fields.contact_id) }} in (
                select erased_identifiers.identifier_value from erased_identifiers
            )
            or {{ clean_identifier(raw_fields.anonymous_id) }} in (
                select erased_identifiers.identifier_value from erased_identifiers
            )
        ) is true as is_erased
    from rejected
),

protected as (
    select
        source_table,
        case when is_erased then null else raw_key end as raw_key,
        rejection_reason,
        case when is_erased then '{"erased": true}' else raw_record end as raw_record
    from flagged
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
from protected
