{#-
    Active products ranked by units sold (completed orders, returns excluded)
    in the var bestseller_days before as_of_date, overall and within their
    category (int_products_ranked). Products never sold rank after sold ones,
    by price. The fallback whenever a customer has no personal recommendations.
-#}

with

ranked as (
    select * from {{ ref('int_products_ranked') }}
)

select
    product_id,
    product_name,
    category,
    product_url,
    image_url,
    price,
    currency,
    units_sold,
    overall_rank,
    category_rank
from ranked
where is_active
