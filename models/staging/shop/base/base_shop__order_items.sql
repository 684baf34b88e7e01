{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='order_item_slice',
    on_schema_change='sync_all_columns',
) }}

{#- Incremental on DuckDB: a run classifies again the lines of the orders that
    changed (macros/order_item_slice.sql); the table equals a full build's. -#}
{%- set fingerprint = event_slice_fingerprint([
    ("fingerprint_rates.currency_code || ':' || cast(fingerprint_rates.units_per_usd as " ~ dbt.type_string() ~ ")",
        ref('exchange_rates') ~ ' as fingerprint_rates'),
], settings=[var('base_currency'), var('max_line_amount')]) -%}
{%- set plan = order_item_slice_plan(source('shop', 'order_items'), fingerprint) %}
{{ order_item_slice_marker(plan) }}

with

orders as (
    select
        order_id,
        currency,
        rejection_reason
    from {{ ref('base_shop__orders') }}
    where not is_duplicate
    -- one row per order id: the accepted row when there is one
    qualify row_number() over (partition by order_id order by rejection_reason nulls first) = 1
),

{{ order_item_slice_changed_orders(plan, 'orders') }}

source as (
    select * from {{ source('shop', 'order_items') }}
    {{- order_item_slice_source_filter(plan) }}
),

rates as (
    select * from {{ ref('exchange_rates') }}
),

parsed as (
    select
        {{ clean_text('source.order_id') }} as order_id,
        {{ clean_text('source.product_id') }} as product_id,
        -- Quantities are kept as given, fractions included (1.5 kg, 2.5 m): never rounded.
        try_cast(cast(source.quantity as {{ dbt.type_string() }}) as double) as quantity_as_double,
        try_cast(try_cast(cast(source.quantity as {{ dbt.type_string() }}) as double) as decimal(18, 4)) as quantity,
        try_cast(source.unit_price as decimal(18, 4)) as unit_price,
        try_cast(cast(source.unit_price as {{ dbt.type_string() }}) as double) as unit_price_as_double,
        concat_ws(
            '|', cast(source.order_id as {{ dbt.type_string() }}), cast(source.product_id as {{ dbt.type_string() }})
        ) as raw_key,
        {{ is_erased_row(order_id='source.order_id') }} as is_erased,
        -- the raw row as JSON, and its md5 to break ties in the same order on every engine
        md5(cast(
            {{ row_json('source', source('shop', 'order_items')) }} as {{ dbt.type_string() }}
        )) as raw_hash,
        {{ row_json('source', source('shop', 'order_items')) }} as raw_row
    from source
),

joined as (
    select
        parsed.*,
        orders.currency,
        orders.rejection_reason as order_rejection_reason,
        orders.order_id is not null as is_known_order,
        -- in double first, so a hostile line (1,000,000 x 1e9) can be rejected
        -- instead of overflowing the decimal arithmetic and failing the build
        {{ to_base_currency('cast(parsed.quantity as double) * cast(parsed.unit_price as double)', 'rates') }}
            as line_amount_as_double,
        {{ to_base_currency('cast(parsed.quantity as decimal(38, 4)) * parsed.unit_price', 'rates') }}
            as line_amount_unbounded
    from parsed
    left join orders
        on parsed.order_id = orders.order_id
    left join rates
        on orders.currency = rates.currency_code
),

bounded as (
    select
        order_id,
        product_id,
        quantity_as_double,
        quantity,
        unit_price,
        unit_price_as_double,
        raw_key,
        is_erased,
        raw_hash,
        raw_row,
        currency,
        order_rejection_reason,
        is_known_order,
        line_amount_as_double,
        abs(line_amount_as_double) >= {{ number_var('max_line_amount') }} as is_line_amount_out_of_range,
        -- only lines within the bound are cast to decimal(18, 2) (case casts those rows only)
        case
            when abs(line_amount_as_double) < {{ number_var('max_line_amount') }}
                then cast(line_amount_unbounded as decimal(18, 2))
        end as line_amount
    from joined
),

classified as (
    select
        *,
        -- what the rows were classified with: kept for erased rows too (it holds nothing of a person)
        {{ fingerprint }} as classification_fingerprint,
        case
            -- a person who asked to be erased: counted, nothing else kept
            when is_erased then 'erased'
            when order_id is null then 'missing_order_id'
            when not is_known_order then 'unknown_order'
            when order_rejection_reason is not null then 'order_rejected:' || order_rejection_reason
            when product_id is null then 'missing_product_id'
            -- a number that does not fit decimal(18, 4) (infinite, NaN, 1e14 or more):
            -- rejected as such, not as a missing quantity or price
            when quantity is null and quantity_as_double is not null then 'quantity_out_of_range'
            -- more than 4 decimal places would be rounded: reject rather than change it
            when cast(quantity as double) != quantity_as_double then 'quantity_too_precise'
            when quantity is null or quantity = 0 then 'invalid_quantity'
            when unit_price is null and unit_price_as_double is not null then 'unit_price_out_of_range'
            when unit_price is null or unit_price < 0 then 'invalid_unit_price'
            when is_line_amount_out_of_range then 'line_amount_out_of_range'
        end as rejection_reason
    from bounded
),

numbered as (
    select
        *,
        order_id || '-' || row_number() over (
            partition by order_id
            order by product_id nulls last, quantity nulls last, unit_price nulls last, raw_hash
        ) as order_item_id
    from classified
),

selected as (
    {{ select_classified_rows('numbered') }}
)

{{ empty_erased_rows('selected', keep=['classification_fingerprint']) }}
