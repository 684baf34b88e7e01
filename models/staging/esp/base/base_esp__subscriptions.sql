{{ config(materialized='table') }}

with

source as (
    select * from {{ source('esp', 'email_subscriptions') }}
),

parsed as (
    select
        {{ clean_email('source.email') }} as email,
        {{ normalize_code('source.status') }} as status,
        {{ parse_timestamp('source.updated_at') }} as updated_at,
        cast(source.email as varchar) as raw_key,
        hash(source) as raw_hash,
        source as raw_row
    from source
),

classified as (
    select
        *,
        case
            when email is null then 'invalid_email'
            when status is null
                or status not in ('subscribed', 'unsubscribed', 'cleaned', 'pending')
                then 'invalid_status'
            when updated_at is null then 'unparseable_updated_at'
            when {{ is_implausible_timestamp('updated_at') }} then 'out_of_range_updated_at'
            when updated_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
        end as rejection_reason
    from parsed
)

-- the latest row per email wins; earlier rows are collapsed as superseded.
-- Rows tying on updated_at are never rejected as conflicting (a rejected
-- unsubscribe would leave the person subscribed): the most restrictive wins.
{{ select_classified_rows(
    'classified', 'email',
    "updated_at desc, case status when 'unsubscribed' then 0 when 'cleaned' then 1 when 'pending' then 2 else 3 end",
) }}
