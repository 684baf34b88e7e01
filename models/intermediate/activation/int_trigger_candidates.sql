{{ config(materialized='table') }}

{#-
    Every moment a trigger would fire, within its lookback before as_of_date,
    before eligibility, cool-downs and frequency caps (fct_trigger_audiences).
    fires_at is when the trigger's wait is over; a candidate only exists once
    that moment is before as_of_date. converted_at is the first completed order
    at or after the event (cart and browse abandonment stop being relevant).
      cart_abandonment      add_to_cart, no completed order within wait_minutes
      browse_abandonment    product_view, no completed order within wait_minutes
      post_purchase_cross_sell  a completed order, wait_minutes later
      win_back              the last completed order, lifecycle_at_risk_days later
                            (the customer turns lapsed), with no order since
      welcome               CRM signup
-#}

with

rules as (
    select * from {{ ref('trigger_rules') }}
),

-- no rule fires for an event older than its longest lookback and wait: the web
-- events are read from then on, not from the first one (at 1,000,000 contacts a
-- year of them is 41 M rows, issue 15)
horizon as (
    select
        {{ dbt.dateadd('minute', '-1440 * max(lookback_days) - max(wait_minutes)', as_of_timestamp()) }}
            as earliest_event_at
    from rules
),

web_events as (
    select
        customer_id,
        event_type,
        product_id,
        occurred_at
    from {{ ref('int_web_events_sessionized') }}
    where
        event_type in ('add_to_cart', 'product_view')
        and occurred_at >= (select horizon.earliest_event_at from horizon)
),

orders as (
    select
        order_id,
        customer_id,
        ordered_at
    from {{ ref('int_orders_attributed') }}
    where is_completed
),

order_lines as (
    select
        order_id,
        product_id,
        line_amount
    from {{ ref('int_order_lines_enriched') }}
    where is_completed and not is_return
),

customers as (
    select
        customer_id,
        signed_up_at
    from {{ ref('int_customers_unified') }}
),

-- each customer's last completed order: win-back fires lifecycle_at_risk_days after it
last_orders as (
    select
        customer_id,
        max(ordered_at) as last_ordered_at
    from orders
    group by customer_id
),

-- the orders whose main product a candidate can need (the rest fire before
-- every lookback): those since the horizon (post-purchase), and the orders of
-- a customer whose win-back is after it. Looking up the product of every
-- order ever placed was most of this model at 1,000,000 contacts (issue 15)
recent_orders as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at
    from orders
    where orders.ordered_at >= (select horizon.earliest_event_at from horizon)
),

win_back_orders as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.ordered_at = last_orders.last_ordered_at as is_last
    from orders
    inner join last_orders
        on orders.customer_id = last_orders.customer_id
    where {{ dbt.dateadd('day', number_var('lifecycle_at_risk_days'), 'last_orders.last_ordered_at') }}
        >= (select horizon.earliest_event_at from horizon)
),

-- win-back takes the product of the customer's last order that has one: the
-- last orders' products are enough, but for the customers none of whose last
-- orders has a line with a product, whose every order is looked up (3.5 M
-- orders' lines grouped at 1,000,000 contacts where about 0.5 M are needed)
win_back_with_product as (
    select distinct win_back_orders.customer_id
    from win_back_orders
    inner join order_lines
        on win_back_orders.order_id = order_lines.order_id
    where win_back_orders.is_last
        and order_lines.product_id is not null
),

product_orders as (
    select recent_orders.order_id from recent_orders
    union all
    select win_back_orders.order_id
    from win_back_orders
    left join win_back_with_product
        on win_back_orders.customer_id = win_back_with_product.customer_id
    where win_back_orders.is_last or win_back_with_product.customer_id is null
),

-- the main product of each of those orders: its largest line
order_products as (
    select
        order_lines.order_id,
        max_by(
            order_lines.product_id,
            case
                when order_lines.product_id is not null
                    then {{ ordering_tuple(['order_lines.line_amount', 'order_lines.product_id']) }}
            end
        ) as product_id
    from order_lines
    where order_lines.order_id in (select product_orders.order_id from product_orders)
    group by order_lines.order_id
),

events as (
    select
        case web_events.event_type
            when 'add_to_cart' then 'cart_abandonment'
            else 'browse_abandonment'
        end as trigger_type,
        web_events.customer_id,
        web_events.product_id,
        web_events.occurred_at as event_at
    from web_events
    union all
    select
        'post_purchase_cross_sell' as trigger_type,
        recent_orders.customer_id,
        order_products.product_id,
        recent_orders.ordered_at as event_at
    from recent_orders
    left join order_products
        on recent_orders.order_id = order_products.order_id
    union all
    select
        'win_back' as trigger_type,
        win_back_orders.customer_id,
        -- the product of the last order that has one (Spark's max_by keeps a null product: skip it, as DuckDB does)
        max_by(
            order_products.product_id,
            case when order_products.product_id is not null then win_back_orders.ordered_at end
        ) as product_id,
        {{ dbt.dateadd('day', number_var('lifecycle_at_risk_days'), 'max(win_back_orders.ordered_at)') }} as event_at
    from win_back_orders
    left join order_products
        on win_back_orders.order_id = order_products.order_id
    group by win_back_orders.customer_id
    union all
    select
        'welcome' as trigger_type,
        customers.customer_id,
        null as product_id,
        customers.signed_up_at as event_at
    from customers
    where customers.signed_up_at is not null
),

timed as (
    select
        events.*,
        {{ dbt.dateadd('minute', 'rules.wait_minutes', 'events.event_at') }} as fires_at,
        {{ dbt.dateadd(
            'hour', 'rules.expires_after_hours', dbt.dateadd('minute', 'rules.wait_minutes', 'events.event_at')
        ) }} as expires_at,
        rules.lookback_days
    from events
    inner join rules
        on events.trigger_type = rules.trigger_type
),

in_lookback as (
    select *
    from timed
    where fires_at < {{ as_of_timestamp() }}
        and fires_at >= {{ dbt.dateadd('day', '-lookback_days', as_of_timestamp()) }}
),

with_conversions as (
    select
        in_lookback.trigger_type,
        in_lookback.customer_id,
        in_lookback.product_id,
        in_lookback.event_at,
        in_lookback.fires_at,
        in_lookback.expires_at,
        min(orders.ordered_at) as converted_at
    from in_lookback
    left join orders
        on in_lookback.customer_id = orders.customer_id
        and in_lookback.event_at <= orders.ordered_at
        -- the win-back event is in the future of the last order: any later order counts
        and in_lookback.trigger_type in ('cart_abandonment', 'browse_abandonment', 'win_back')
        -- every event that can convert is after the horizon, so no earlier order can be
        -- its conversion: without this the join held every order ever placed, and the
        -- hourly refresh at 1,000,000 contacts ran out of DuckDB's 2 GB here (issue 15)
        and orders.ordered_at >= (select horizon.earliest_event_at from horizon)
    group by
        in_lookback.trigger_type,
        in_lookback.customer_id,
        in_lookback.product_id,
        in_lookback.event_at,
        in_lookback.fires_at,
        in_lookback.expires_at
)

select
    md5(
        concat_ws('|', trigger_type, customer_id, product_id, cast(event_at as {{ dbt.type_string() }}))
    ) as candidate_id,
    trigger_type,
    customer_id,
    product_id,
    event_at,
    fires_at,
    expires_at,
    converted_at
from with_conversions
-- an order before the wait is over means the trigger never fires
where converted_at is null or converted_at >= fires_at
