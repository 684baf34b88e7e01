{{ config(materialized='table') }}

with

source as (
    select * from {{ source('esp', 'campaigns') }}
),

parsed as (
    select
        {{ clean_text('source.campaign_id') }} as campaign_id,
        {{ clean_text('source.name') }} as campaign_name,
        {{ normalize_code('source.campaign_type') }} as campaign_type,
        {{ parse_timestamp('source.sent_at') }} as sent_at,
        {{ clean_text('source.sent_at') }} is not null as has_sent_at,
        cast(source.campaign_id as {{ dbt.type_string() }}) as raw_key,
        -- the raw row as JSON, and its md5 to break ties in the same order on every engine
        md5(cast(
            {{ row_json('source', source('esp', 'campaigns')) }} as {{ dbt.type_string() }}
        )) as raw_hash,
        {{ row_json('source', source('esp', 'campaigns')) }} as raw_row
    from source
),

classified as (
    select
        *,
        case
            when campaign_id is null then 'missing_campaign_id'
            when campaign_type is null or campaign_type not in ('broadcast', 'triggered')
                then 'invalid_campaign_type'
            -- a send time that is given but cannot be read; a missing one stays accepted as unknown
            when has_sent_at and sent_at is null then 'unparseable_sent_at'
            when {{ is_implausible_timestamp('sent_at') }} then 'out_of_range_sent_at'
            when sent_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
        end as rejection_reason
    from parsed
)

{{ select_classified_rows(
    'classified', 'campaign_id', 'sent_at',
    compare='campaign_name, campaign_type, sent_at',
) }}
