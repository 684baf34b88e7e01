{#-
    One row per order month, attribution model, channel and touch type: the
    conversions and net revenue (base currency) int_order_attributions credits
    to email touches and web sessions, and per month and model one
    'unattributed' row with the completed orders' revenue no touch earned, so
    the channels of a month and model add up to its order revenue exactly.
-#}

with

orders as (
    select
        order_id,
        cast(date_trunc('month', ordered_at) as date) as order_month,
        net_revenue
    from {{ ref('int_orders_attributed') }}
    where is_completed
),

attributions as (
    select * from {{ ref('int_order_attributions') }}
),

attribution_models as (
    select models.attribution_model
    from (values ('last_click'), ('last_touch'), ('position_based')) as models (attribution_model)
),

month_totals as (
    select
        order_month,
        count(*) as month_orders,
        cast(sum(net_revenue) as decimal(18, 2)) as month_revenue
    from orders
    group by order_month
),

attributed_by_touch_type as (
    select
        cast(date_trunc('month', ordered_at) as date) as order_month,
        attribution_model,
        case when touch_type = 'web_session' then 'web' else 'email' end as channel,
        touch_type,
        sum(credit) as attributed_conversions,
        -- rounded here so that the unattributed remainder makes the month exact;
        -- summed as exact decimals: a sum of doubles depends on the order rows
        -- arrive in, which differs between engines and runs
        cast(round(sum(cast(attributed_revenue as decimal(38, 9))), 2) as decimal(18, 2)) as attributed_revenue
    from attributions
    group by order_month, attribution_model, channel, touch_type
),

attributed_per_model as (
    select
        order_month,
        attribution_model,
        sum(attributed_conversions) as attributed_conversions,
        sum(attributed_revenue) as attributed_revenue
    from attributed_by_touch_type
    group by order_month, attribution_model
),

unattributed as (
    select
        month_totals.order_month,
        attribution_models.attribution_model,
        'unattributed' as channel,
        'none' as touch_type,
        month_totals.month_orders - coalesce(attributed_per_model.attributed_conversions, 0)
            as attributed_conversions,
        month_totals.month_revenue - coalesce(attributed_per_model.attributed_revenue, 0)
            as attributed_revenue
    from month_totals
    cross join attribution_models
    left join attributed_per_model
        on month_totals.order_month = attributed_per_model.order_month
        and attribution_models.attribution_model = attributed_per_model.attribution_model
),

channels as (
    select * from attributed_by_touch_type
    union all
    select * from unattributed
),

channels_with_totals as (
    select
        channels.order_month,
        channels.attribution_model,
        channels.channel,
        channels.touch_type,
        channels.attributed_conversions,
        channels.attributed_revenue,
        month_totals.month_orders,
        month_totals.month_revenue
    from channels
    inner join month_totals
        on channels.order_month = month_totals.order_month
)

select
    md5(
        concat_ws('|', order_month, attribution_model, channel, touch_type)
    ) as channel_attribution_id,
    order_month,
    attribution_model,
    channel,
    touch_type,
    cast(attributed_conversions as double) as attributed_conversions,
    cast(attributed_revenue as decimal(18, 2)) as attributed_revenue,
    cast(month_orders as bigint) as month_orders,
    cast(month_revenue as decimal(18, 2)) as month_revenue,
    cast(attributed_revenue / nullif(month_revenue, 0) as double) as revenue_share,
    {{ base_currency_literal() }} as currency
from channels_with_totals
