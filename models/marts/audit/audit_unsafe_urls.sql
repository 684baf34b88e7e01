-- Every URL field that held something other than an absolute http(s) URL
-- (javascript:, data:, relative) and was dropped before it could reach a link
-- or image field: how many, per table and column. The values are not kept.
with

products as (
    select
        has_unsafe_product_url,
        has_unsafe_image_url
    from {{ ref('stg_shop__products') }}
),

counts as (
    select
        'products' as source_table,
        'url' as source_column,
        count(*) filter (where has_unsafe_product_url) as unsafe_urls
    from products
    union all
    select
        'products' as source_table,
        'image_url' as source_column,
        count(*) filter (where has_unsafe_image_url) as unsafe_urls
    from products
)

select
    source_table,
    source_column,
    unsafe_urls,
    {{ as_of_timestamp() }} as as_of_at
from counts
