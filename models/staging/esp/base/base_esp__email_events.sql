{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='event_slice',
    event_slice_key='event_id',
    on_schema_change='sync_all_columns',
) }}

{#- Incremental on DuckDB: a run reads the raw rows of the last days and their
    keys' other rows (macros/event_slice.sql); the table equals a full build's.
    The ESP vocabulary is part of what rows are classified with: a change to it
    reclassifies every row. -#}
{%- set fingerprint = event_slice_fingerprint([
    ("vocabulary.kind || '|' || vocabulary.spelling || '|' || coalesce(vocabulary.maps_to, '')",
        ref('esp_vocabulary') ~ ' as vocabulary'),
]) -%}
{%- set plan = event_slice_plan(source('esp', 'email_events'), 'occurred_at', fingerprint) %}
{{ event_slice_marker(plan) }}

with

source as {{ event_slice_inlined(plan) }} (
    select * from {{ source('esp', 'email_events') }}
    {{- event_slice_source_filter(plan, source('esp', 'email_events'), 'occurred_at', 'event_id') }}
),

-- ids held by more than one raw row: select_classified_rows sends their rows to its windows
-- and every other row straight to the table, each row parsed once
repeated_keys as {{ cte_hint(materialized=true) }} (
    {{ repeated_keys_cte('source', clean_text('source.event_id')) | indent(4) }}
),

vocabulary as (
    select
        spelling,
        maps_to
    from {{ ref('esp_vocabulary') }}
    where kind = 'event_type'
),

parsed as {{ event_slice_inlined(plan) }} (
    select
        {{ clean_text('source.event_id') }} as event_id,
        {{ clean_email('source.email') }} as email,
        {{ clean_text('source.campaign_id') }} as campaign_id,
        {{ normalize_code('source.event_type') }} as raw_event_type,
        {{ parse_raw_timestamp(source('esp', 'email_events'), 'occurred_at', 'source') }} as occurred_at,
        {{ clean_text('source.url') }} as url,
        cast(source.event_id as {{ dbt.type_string() }}) as raw_key,
        {{ is_erased_row(email='source.email') }} as is_erased,
        -- the raw row (JSON only for the rows that keep it; select_classified_rows
        -- hashes it to break ties in the same order on every engine)
        {{ row_value('source', source('esp', 'email_events')) }} as raw_row,
        repeated_keys.repeated_key is not null as has_repeated_key
    from source
    left join repeated_keys
        on {{ clean_text('source.event_id') }} = repeated_keys.repeated_key
),

-- each ESP's spelling (trimmed, lowercase) to the project's event type; unknown is null
mapped as {{ event_slice_inlined(plan) }} (
    select
        parsed.event_id,
        parsed.email,
        parsed.campaign_id,
        vocabulary.maps_to as event_type,
        parsed.raw_event_type,
        parsed.occurred_at,
        parsed.url,
        parsed.raw_key,
        parsed.is_erased,
        parsed.raw_row,
        parsed.has_repeated_key
    from parsed
    left join vocabulary
        on parsed.raw_event_type = vocabulary.spelling
),

classified as {{ event_slice_inlined(plan) }} (
    select
        *,
        -- the day incremental runs slice by, and what the rows were classified
        -- with: kept for erased rows too (neither holds anything of a person)
        cast(occurred_at as date) as event_date,
        {{ fingerprint }} as classification_fingerprint,
        case
            -- a person who asked to be erased: counted, nothing else kept
            when is_erased then 'erased'
            when event_id is null then 'missing_event_id'
            when email is null then 'invalid_email'
            when event_type is null then 'invalid_event_type'
            when occurred_at is null then 'unparseable_occurred_at'
            when {{ is_implausible_timestamp('occurred_at') }} then 'out_of_range_occurred_at'
            when occurred_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
        end as rejection_reason,
        -- could this event mean "stop"? A known stop type, or an unknown type
        -- whose text says so: unknown values are never assumed safe.
        coalesce(
            event_type in ('bounce', 'unsubscribe', 'spam_report')
            or (
                event_type is null
                and {{ regexp_contains(
                    'raw_event_type', "'unsub|spam|complain|bounce|block|drop|opt(ed)?[^a-z]?out'"
                ) }}
            ),
            false
        ) as could_mean_stop,
        -- a time the project can place: parsed, plausible (null otherwise)
        case
            when occurred_at is not null and not {{ is_implausible_timestamp('occurred_at') }}
                then occurred_at
        end as readable_occurred_at
    from mapped
),

-- rejected rows that could mean stop feed stg_esp__unreadable_stop_signals
selected as (
    {{ select_classified_rows(
        'classified', 'event_id', 'occurred_at',
        lazy_hash=true,
        rejected_key='raw_key',
        compare='email, campaign_id, event_type, occurred_at, url',
        repeated_flag='has_repeated_key',
    ) }}
),

emptied as (
    {{ empty_erased_rows('selected', keep=['event_date', 'classification_fingerprint']) }}
)

select * from emptied
{{- event_slice_kept(plan) }}
