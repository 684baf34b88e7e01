{{ config(materialized='table') }}

{#-
    Every catalogue product with its sales in the var bestseller_days before
    as_of_date (completed orders, returns excluded) and, for active products,
    its bestseller rank overall and within its category. Products never sold
    rank after sold ones, by price. int_bestsellers (the recommendation
    fallback) is its active rows; dim_products publishes it.

    A table, though one row per product: as a view, each of its readers
    (int_bestsellers and the marts on it, dim_products, the recommenders and
    their tests, eight in an hourly refresh) summed every order line of the
    window again, about 0.3 s each at 1,000,000 contacts (issue 15).
-#}

with

products as (
    select * from {{ ref('stg_shop__products') }}
),

sales as (
    select
        product_id,
        sum(quantity) as units
    from {{ ref('int_order_lines_enriched') }}
    where is_completed
        and not is_return
        and ordered_at >= {{ dbt.dateadd('day', '-' ~ number_var('bestseller_days'), as_of_timestamp()) }}
    group by product_id
),

ranked as (
    select
        products.product_id,
        products.product_name,
        products.category,
        products.brand,
        products.product_url,
        products.image_url,
        products.price,
        products.currency,
        products.list_price,
        products.list_price_currency,
        products.is_active,
        coalesce(sales.units, 0) as units_sold,
        row_number() over (
            partition by products.is_active
            order by coalesce(sales.units, 0) desc, products.price desc nulls last, products.product_id asc
        ) as overall_rank,
        row_number() over (
            partition by products.is_active, products.category
            order by coalesce(sales.units, 0) desc, products.price desc nulls last, products.product_id asc
        ) as category_rank
    from products
    left join sales
        on products.product_id = sales.product_id
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
    -- only active products are offered: an inactive one has no rank
    case when is_active then overall_rank end as overall_rank,
    case when is_active then category_rank end as category_rank
from ranked
