with

products as (
    select * from {{ ref('base_shop__products') }}
)

select
    product_id,
    product_name,
    category,
    brand,
    price,
    {{ base_currency_literal() }} as currency,
    list_price,
    currency as list_price_currency,
    product_url,
    image_url,
    is_active
from products
where rejection_reason is null and not is_duplicate
