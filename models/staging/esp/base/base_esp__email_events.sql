{{ config(materialized='table') }}

with

source as (
    select * from {{ source('esp', 'email_events') }}
),

parsed as (
    select
        {{ clean_text('source.event_id') }} as event_id,
        {{ clean_email('source.email') }} as email,
        {{ clean_text('source.campaign_id') }} as campaign_id,
        -- common ESP spellings map to the contract's event types
        case {{ normalize_code('source.event_type') }}
            when 'opened' then 'open'
            when 'clicked' then 'click'
            when 'bounced' then 'bounce'
            when 'hard_bounce' then 'bounce'
            when 'unsubscribed' then 'unsubscribe'
            when 'spam' then 'spam_report'
            when 'complaint' then 'spam_report'
            else {{ normalize_code('source.event_type') }}
        end as event_type,
        {{ parse_timestamp('source.occurred_at') }} as occurred_at,
        {{ clean_text('source.url') }} as url,
        cast(source.event_id as varchar) as raw_key,
        hash(source) as raw_hash,
        source as raw_row
    from source
),

classified as (
    select
        *,
        case
            when event_id is null then 'missing_event_id'
            when email is null then 'invalid_email'
            when event_type is null
                or event_type not in (
                    'sent', 'delivered', 'open', 'click', 'bounce', 'unsubscribe', 'spam_report'
                )
                then 'invalid_event_type'
            when occurred_at is null then 'unparseable_occurred_at'
            when {{ is_implausible_timestamp('occurred_at') }} then 'out_of_range_occurred_at'
            when occurred_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
        end as rejection_reason
    from parsed
)

{{ select_classified_rows(
    'classified', 'event_id', 'occurred_at',
    compare='email, campaign_id, event_type, occurred_at, url',
) }}
