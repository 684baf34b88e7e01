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

-- the main product of each order: its largest line
order_products as (
    select
        order_id,
        max_by(
            product_id, case when product_id is not null then {{ ordering_tuple(['line_amount', 'product_id']) }} end
        ) as product_id
    from order_lines
    group by order_id
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
        orders.customer_id,
        order_products.product_id,
        orders.ordered_at as event_at
    from orders
    left join order_products
        on orders.order_id = order_products.order_id
    union all
    select
        'win_back' as trigger_type,
        orders.customer_id,
        -- the product of the last order that has one (Spark's max_by keeps a null product: skip it, as DuckDB does)
        max_by(
            order_products.product_id,
            case when order_products.product_id is not null then orders.ordered_at end
        ) as product_id,
        {{ dbt.dateadd('day', number_var('lifecycle_at_risk_days'), 'max(orders.ordered_at)') }} as event_at
    from orders
    left join order_products
        on orders.order_id = order_products.order_id
    group by orders.customer_id
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
