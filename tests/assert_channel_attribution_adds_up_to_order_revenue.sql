-- rpt_channel_attribution promises that, per order month and attribution model,
-- its channels (email, web, unattributed) add up to the month's completed order
-- revenue exactly and to its orders (credits are fractional: to rounding), and
-- that the month totals are those of the orders themselves. Every month with a
-- completed order must have all three attribution models.
with

channels as (
    select
        order_month,
        attribution_model,
        sum(attributed_revenue) as channel_revenue,
        sum(attributed_conversions) as channel_conversions,
        min(month_revenue) as month_revenue,
        max(month_revenue) as month_revenue_max,
        min(month_orders) as month_orders
    from {{ ref('rpt_channel_attribution') }}
    group by order_month, attribution_model
),

orders as (
    select
        cast(date_trunc('month', ordered_at) as date) as order_month,
        count(*) as orders,
        cast(sum(net_revenue) as decimal(18, 2)) as revenue
    from {{ ref('int_orders_attributed') }}
    where is_completed
    group by order_month
),

models as (
    select models.attribution_model
    from (values ('last_click'), ('last_touch'), ('position_based')) as models (attribution_model)
),

expected as (
    select
        orders.order_month,
        orders.orders,
        orders.revenue,
        models.attribution_model
    from orders
    cross join models
)

select
    coalesce(expected.order_month, channels.order_month) as order_month,
    coalesce(expected.attribution_model, channels.attribution_model) as attribution_model,
    expected.revenue,
    expected.orders,
    channels.channel_revenue,
    channels.channel_conversions,
    channels.month_revenue
from expected
full outer join channels
    on expected.order_month = channels.order_month
    and expected.attribution_model = channels.attribution_model
where expected.order_month is null
    or channels.order_month is null
    or channels.channel_revenue != expected.revenue
    or channels.month_revenue != expected.revenue
    or channels.month_revenue_max != expected.revenue
    or channels.month_orders != expected.orders
    or abs(channels.channel_conversions - expected.orders) > 1e-6
