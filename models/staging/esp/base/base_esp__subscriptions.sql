{{ config(materialized='table') }}

with

source as (
    select * from {{ source('esp', 'email_subscriptions') }}
),

vocabulary as (
    select
        spelling,
        maps_to
    from {{ ref('esp_vocabulary') }}
    where kind = 'subscription_status'
),

parsed as (
    select
        {{ clean_email('source.email') }} as email,
        {{ normalize_code('source.status') }} as raw_status,
        {{ parse_timestamp('source.updated_at') }} as updated_at,
        cast(source.email as {{ dbt.type_string() }}) as raw_key,
        {{ is_erased_row(email='source.email') }} as is_erased,
        -- the raw row as JSON, and its md5 to break ties in the same order on every engine
        md5(cast(
            {{ row_json('source', source('esp', 'email_subscriptions')) }} as {{ dbt.type_string() }}
        )) as raw_hash,
        {{ row_json('source', source('esp', 'email_subscriptions')) }} as raw_row
    from source
),

-- each ESP's spelling (trimmed, lowercase) to the project's status; unknown is null
mapped as (
    select
        parsed.email,
        vocabulary.maps_to as status,
        parsed.raw_status,
        parsed.updated_at,
        parsed.raw_key,
        parsed.is_erased,
        parsed.raw_hash,
        parsed.raw_row
    from parsed
    left join vocabulary
        on parsed.raw_status = vocabulary.spelling
),

classified as (
    select
        *,
        case
            -- a person who asked to be erased: counted, nothing else kept
            when is_erased then 'erased'
            when email is null then 'invalid_email'
            when status is null then 'invalid_status'
            when updated_at is null then 'unparseable_updated_at'
            when {{ is_implausible_timestamp('updated_at') }} then 'out_of_range_updated_at'
            when updated_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
        end as rejection_reason,
        -- could this row mean "stop"? Any status but subscribed, unknown or
        -- missing included: unknown values are never assumed safe.
        coalesce(status, 'unknown') != 'subscribed' as could_mean_stop,
        -- a time the project can place: parsed, plausible (null otherwise)
        case
            when updated_at is not null and not {{ is_implausible_timestamp('updated_at') }}
                then updated_at
        end as readable_updated_at
    from mapped
),

-- the latest row per email wins; earlier rows are collapsed as superseded.
-- Rows tying on updated_at are never rejected as conflicting (a rejected
-- unsubscribe would leave the person subscribed): the most restrictive wins.
selected as (
    {{ select_classified_rows(
        'classified', 'email',
        "updated_at desc, case status when 'unsubscribed' then 0 when 'cleaned' then 1 when 'never_subscribed' then 2 when 'pending' then 3 else 4 end",
    ) }}
)

{{ empty_erased_rows('selected') }}
