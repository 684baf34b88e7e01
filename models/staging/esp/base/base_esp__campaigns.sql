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
        cast(source.campaign_id as varchar) as raw_key,
        hash(source) as raw_hash,
        source as raw_row
    from source
),

classified as (
    select
        *,
        case
            when campaign_id is null then 'missing_campaign_id'
            when campaign_type is null or campaign_type not in ('broadcast', 'triggered')
                then 'invalid_campaign_type'
            when {{ is_implausible_timestamp('sent_at') }} then 'out_of_range_sent_at'
            when sent_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
        end as rejection_reason
    from parsed
)

{{ select_classified_rows('classified', 'campaign_id', 'sent_at') }}
