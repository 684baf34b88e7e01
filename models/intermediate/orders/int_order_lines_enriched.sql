with

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

orders as (
    select * from {{ ref('int_orders_attributed') }}
),

products as (
    select * from {{ ref('stg_shop__products') }}
)

select
    order_items.order_item_id,
    order_items.order_id,
    orders.customer_id,
    orders.ordered_at,
    orders.is_completed,
    order_items.product_id,
    products.category,
    products.brand,
    order_items.quantity,
    order_items.is_return,
    order_items.line_amount,
    order_items.currency
from order_items
inner join orders
    on order_items.order_id = orders.order_id
left join products
    on order_items.product_id = products.product_id
