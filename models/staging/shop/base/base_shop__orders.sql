{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='event_slice',
    event_slice_key='order_id',
    on_schema_change='sync_all_columns',
) }}

{#- Incremental on DuckDB, as the event base models: a run reads the raw orders
    of the last days and their order ids' other rows (macros/event_slice.sql);
    the table equals a full build's. The exchange rates' currencies are part of
    what rows are classified with (and the base currency, a missing currency's):
    a change to them reclassifies every row. -#}
{%- set fingerprint = event_slice_fingerprint([
    ('fingerprint_rates.currency_code', ref('exchange_rates') ~ ' as fingerprint_rates'),
], settings=[var('base_currency')]) -%}
{%- set plan = event_slice_plan(source('shop', 'orders'), 'ordered_at', fingerprint) %}
{{ event_slice_marker(plan) }}

with

source as {{ event_slice_inlined(plan) }} (
    select * from {{ source('shop', 'orders') }}
    {{- event_slice_source_filter(plan, source('shop', 'orders'), 'ordered_at', 'order_id') }}
),

-- ids held by more than one raw row: select_classified_rows sends their rows to its windows
-- and every other row straight to the table, each row parsed once
repeated_keys as {{ cte_hint(materialized=true) }} (
    {{ repeated_keys_cte('source', clean_text('source.order_id')) | indent(4) }}
),

rates as (
    select currency_code from {{ ref('exchange_rates') }}
),

parsed as {{ event_slice_inlined(plan) }} (
    select
        {{ clean_text('source.order_id') }} as order_id,
        {{ clean_identifier('source.contact_id') }} as contact_id,
        -- a placeholder contact_id ('null', '0', ...) is ignored: the order is matched by email
        {{ is_placeholder_identifier('source.contact_id') }} as has_placeholder_identifier,
        {{ clean_email('source.email') }} as email,
        {{ is_invalid_email('source.email') }} as has_invalid_email,
        {{ parse_raw_timestamp(source('shop', 'orders'), 'ordered_at', 'source') }} as ordered_at,
        {{ normalize_code('source.status') }} as status,
        {{ normalize_currency('source.currency') }} as currency,
        cast(source.order_id as {{ dbt.type_string() }}) as raw_key,
        {{ is_erased_row(
            email='source.email',
            contact_id='source.contact_id',
            order_id='source.order_id',
        ) }} as is_erased,
        -- the raw row as JSON, and its md5 to break ties in the same order on every engine
        md5(cast(
            {{ row_json('source', source('shop', 'orders')) }} as {{ dbt.type_string() }}
        )) as raw_hash,
        {{ row_json('source', source('shop', 'orders')) }} as raw_row,
        repeated_keys.repeated_key is not null as has_repeated_key
    from source
    left join repeated_keys
        on {{ clean_text('source.order_id') }} = repeated_keys.repeated_key
),

classified as {{ event_slice_inlined(plan) }} (
    select
        parsed.*,
        -- the day incremental runs slice by, and what the rows were classified
        -- with: kept for erased rows too (neither holds anything of a person)
        cast(parsed.ordered_at as date) as event_date,
        {{ fingerprint }} as classification_fingerprint,
        case
            -- a person who asked to be erased: counted, nothing else kept
            when parsed.is_erased then 'erased'
            when parsed.order_id is null then 'missing_order_id'
            when parsed.ordered_at is null then 'unparseable_ordered_at'
            when {{ is_implausible_timestamp('parsed.ordered_at') }} then 'out_of_range_ordered_at'
            when parsed.ordered_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
            when parsed.status is null
                or parsed.status not in ('completed', 'cancelled', 'refunded')
                then 'invalid_status'
            when rates.currency_code is null then 'unknown_currency'
            -- an email that is no address: the row is kept by its contact id, else rejected saying so
            when parsed.contact_id is null and parsed.has_invalid_email then 'invalid_email'
            when parsed.contact_id is null and parsed.email is null then 'no_customer_identifier'
        end as rejection_reason
    from parsed
    left join rates
        on parsed.currency = rates.currency_code
),

-- the same order id twice with different content is a conflict: no row is picked
selected as (
    {{ select_classified_rows(
        'classified', 'order_id', 'ordered_at',
        compare='contact_id, email, ordered_at, status, currency',
        repeated_flag='has_repeated_key',
    ) }}
),

emptied as (
    {{ empty_erased_rows('selected', keep=['event_date', 'classification_fingerprint']) }}
)

select * from emptied
{{- event_slice_kept(plan) }}
