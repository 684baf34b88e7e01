{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='event_slice',
    event_slice_key='event_id',
    on_schema_change='sync_all_columns',
) }}

{#- Incremental on DuckDB: a run reads the raw rows of the last days and their
    keys' other rows (macros/event_slice.sql); the table equals a full build's. -#}
{%- set fingerprint = event_slice_fingerprint() -%}
{%- set plan = event_slice_plan(source('web', 'web_events'), 'occurred_at', fingerprint) %}
{{ event_slice_marker(plan) }}

with

source as {{ event_slice_inlined(plan) }} (
    select * from {{ source('web', 'web_events') }}
    {{- event_slice_source_filter(plan, source('web', 'web_events'), 'occurred_at', 'event_id') }}
),

-- ids held by more than one raw row: select_classified_rows sends their rows to its windows
-- and every other row straight to the table, each row parsed once
repeated_keys as {{ cte_hint(materialized=true) }} (
    {{ repeated_keys_cte('source', clean_text('source.event_id')) | indent(4) }}
),

parsed as {{ event_slice_inlined(plan) }} (
    select
        {{ clean_text('source.event_id') }} as event_id,
        {{ clean_identifier('source.anonymous_id') }} as anonymous_id,
        {{ clean_identifier('source.contact_id') }} as contact_id,
        -- placeholder ids ('undefined', 'null', ...) are ignored, not merged into one person
        (
            {{ is_placeholder_identifier('source.anonymous_id') }}
            or {{ is_placeholder_identifier('source.contact_id') }}
        ) as has_placeholder_identifier,
        {{ clean_email('source.email') }} as email,
        {{ is_invalid_email('source.email') }} as has_invalid_email,
        {{ normalize_code('source.event_type') }} as event_type,
        {{ clean_text('source.product_id') }} as product_id,
        {{ parse_raw_timestamp(source('web', 'web_events'), 'occurred_at', 'source') }} as occurred_at,
        cast(source.event_id as {{ dbt.type_string() }}) as raw_key,
        {{ is_erased_row(
            email='source.email',
            contact_id='source.contact_id',
            anonymous_id='source.anonymous_id',
        ) }} as is_erased,
        -- the raw row (JSON only for the rows that keep it; select_classified_rows
        -- hashes it to break ties in the same order on every engine)
        {{ row_value('source', source('web', 'web_events')) }} as raw_row,
        repeated_keys.repeated_key is not null as has_repeated_key
    from source
    left join repeated_keys
        on {{ clean_text('source.event_id') }} = repeated_keys.repeated_key
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
            when event_type is null
                or event_type not in (
                    'page_view', 'product_view', 'add_to_cart', 'remove_from_cart',
                    'checkout_started', 'search', 'signup'
                )
                then 'invalid_event_type'
            when occurred_at is null then 'unparseable_occurred_at'
            when {{ is_implausible_timestamp('occurred_at') }} then 'out_of_range_occurred_at'
            when occurred_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
            -- an email that is no address: the row is kept by its other ids, else rejected saying so
            when anonymous_id is null and contact_id is null and has_invalid_email
                then 'invalid_email'
            when anonymous_id is null and contact_id is null and email is null
                then 'no_customer_identifier'
        end as rejection_reason
    from parsed
),

selected as (
    {{ select_classified_rows(
        'classified', 'event_id', 'occurred_at',
        lazy_hash=true,
        rejected_key='raw_key',
        compare='anonymous_id, contact_id, email, event_type, product_id, occurred_at',
        repeated_flag='has_repeated_key',
    ) }}
),

emptied as (
    {{ empty_erased_rows('selected', keep=['event_date', 'classification_fingerprint']) }}
)

select * from emptied
{{- event_slice_kept(plan) }}
