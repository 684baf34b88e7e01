{#-
    "More like this product" for product pages and post-purchase emails: for
    every active product, var similar_products_top_n other active products,
    best first, from the last registered recommender's item x item weights
    blended with content similarity and filled with bestsellers
    (python_udfs/recs/similar.py), with the product fields templates need.
-#}

with

similar_products as (
    select * from {{ ref('ml_similar_products') }}
),

products as (
    select * from {{ ref('dim_products') }}
)

select
    similar_products.product_id,
    cast(similar_products.rank as integer) as rank,
    similar_products.similar_product_id,
    products.product_name as similar_product_name,
    products.category,
    products.product_url,
    products.image_url,
    products.price,
    products.currency,
    cast(similar_products.score as double) as score,
    similar_products.source,  -- noqa: RF04
    similar_products.reason,
    similar_products.model_version
from similar_products
inner join products
    on similar_products.similar_product_id = products.product_id
where products.is_active
