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
    -- only absolute http(s) URLs reach link and image fields; anything else
    -- (javascript:, data:, relative) becomes null and is counted in audit_unsafe_urls
    {{ safe_url('product_url') }} as product_url,
    {{ safe_url('image_url') }} as image_url,
    product_url is not null and {{ safe_url('product_url') }} is null as has_unsafe_product_url,
    image_url is not null and {{ safe_url('image_url') }} is null as has_unsafe_image_url,
    is_active
from products
where rejection_reason is null and not is_duplicate
