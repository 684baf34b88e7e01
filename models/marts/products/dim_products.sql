{#- The product catalogue as every mart, export and BI tool reads it; published from int_products_ranked. -#}

with

ranked as (
    select * from {{ ref('int_products_ranked') }}
)

select
    product_id,
    product_name,
    category,
    brand,
    product_url,
    image_url,
    price,
    currency,
    list_price,
    list_price_currency,
    is_active,
    -- cast to the contract's types: Spark's rank() gives int and its sum a narrower decimal
    cast(units_sold as decimal(38, 4)) as units_sold,
    cast(overall_rank as bigint) as overall_rank,
    cast(category_rank as bigint) as category_rank
from ranked
