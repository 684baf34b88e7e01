{{ config(materialized='table') }}

with

source as (
    select * from {{ source('shop', 'products') }}
),

rates as (
    select * from {{ ref('exchange_rates') }}
),

parsed as (
    select
        {{ clean_text('source.product_id') }} as product_id,
        {{ clean_text('source.name') }} as product_name,
        {{ clean_text('source.category') }} as category,
        {{ clean_text('source.brand') }} as brand,
        try_cast(source.price as decimal(18, 4)) as list_price,
        -- a price that is given but cannot be a list price is rejected, never read as unknown
        {{ clean_text('source.price') }} is not null as has_price,
        try_cast(cast(source.price as {{ dbt.type_string() }}) as double) as price_as_double,
        {{ normalize_currency('source.currency') }} as currency,
        {{ clean_text('source.url') }} as product_url,
        {{ clean_text('source.image_url') }} as image_url,
        coalesce({{ parse_boolean('source.is_active') }}, false) as is_active,
        cast(source.product_id as {{ dbt.type_string() }}) as raw_key,
        -- the raw row as JSON, and its md5 to break ties in the same order on every engine
        md5(cast(
            {{ row_json('source', source('shop', 'products')) }} as {{ dbt.type_string() }}
        )) as raw_hash,
        {{ row_json('source', source('shop', 'products')) }} as raw_row
    from source
),

converted as (
    select
        parsed.*,
        cast({{ to_base_currency('parsed.list_price', 'rates') }} as decimal(18, 2)) as price,
        rates.currency_code is not null as is_known_currency
    from parsed
    left join rates
        on parsed.currency = rates.currency_code
),

classified as (
    select
        *,
        case
            when product_id is null then 'missing_product_id'
            when not is_known_currency then 'unknown_currency'
            -- a number that does not fit decimal(18, 4): infinite, NaN, 1e14 or more
            when has_price and list_price is null and price_as_double is not null then 'price_out_of_range'
            when has_price and list_price is null then 'unparseable_price'
            when list_price < 0 then 'negative_price'
        end as rejection_reason
    from converted
)

{{ select_classified_rows(
    'classified', 'product_id', 'is_active desc',
    compare='product_name, category, brand, list_price, currency, product_url, image_url, is_active',
) }}
