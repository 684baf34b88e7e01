{#-
    Active products ranked by units sold (completed orders, returns excluded)
    in the var bestseller_days before as_of_date, overall and within their
    category. Products never sold rank after sold ones, by price. The fallback
    whenever a customer has no personal recommendations.
-#}

with

products as (
    select * from {{ ref('stg_shop__products') }}
    where is_active
),

sales as (
    select
        product_id,
        sum(quantity) as units
    from {{ ref('int_order_lines_enriched') }}
    where is_completed
        and not is_return
        and ordered_at >= {{ as_of_timestamp() }} - to_days({{ number_var('bestseller_days') }})
    group by product_id
)

select
    products.product_id,
    products.product_name,
    products.category,
    products.product_url,
    products.image_url,
    products.price,
    products.currency,
    coalesce(sales.units, 0) as units_sold,
    row_number() over (order by coalesce(sales.units, 0) desc, products.price desc, products.product_id asc)
        as overall_rank,
    row_number() over (
        partition by products.category
        order by coalesce(sales.units, 0) desc, products.price desc, products.product_id asc
    ) as category_rank
from products
left join sales
    on products.product_id = sales.product_id
