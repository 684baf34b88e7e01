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
    units_sold,
    overall_rank,
    category_rank
from ranked
