{{ config(materialized='table') }}

with

orders as (
    select * from {{ ref('stg_shop__orders') }}
),

order_items as (
    select * from {{ ref('stg_shop__order_items') }}
),

order_totals as (
    select
        order_id,
        count(*) filter (where not is_return) as item_lines,
        coalesce(sum(quantity) filter (where not is_return), 0) as units,
        coalesce(sum(line_amount) filter (where not is_return), 0) as gross_amount,
        coalesce(-sum(line_amount) filter (where is_return), 0) as returned_amount
    from order_items
    group by order_id
),

attributed as (
    {{ attribute_to_customers('orders', contact_id='contact_id', email='email') }}
)

select
    attributed.order_id,
    attributed.customer_id,
    attributed.ordered_at,
    attributed.status,
    attributed.is_completed,
    attributed.currency as order_currency,
    coalesce(order_totals.item_lines, 0) as item_lines,
    coalesce(order_totals.units, 0) as units,
    coalesce(order_totals.gross_amount, 0) as gross_amount,
    coalesce(order_totals.returned_amount, 0) as returned_amount,
    -- net revenue: completed orders less their returns; cancelled and refunded orders earn nothing
    case
        when attributed.is_completed
            then coalesce(order_totals.gross_amount, 0) - coalesce(order_totals.returned_amount, 0)
        else 0
    end as net_revenue,
    {{ base_currency_literal() }} as currency
from attributed
left join order_totals
    on attributed.order_id = order_totals.order_id
