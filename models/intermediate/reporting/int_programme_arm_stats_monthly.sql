{{ config(materialized='table') }}

{#-
    The global holdout, month by month: per calendar month, arm (holdout /
    personalized) and metric (conversion: any completed order in the month;
    revenue: net revenue in the base currency in the month), the sufficient
    statistics of int_experiment_arm_stats (macro experiment_moment_sums), so
    int_programme_impact_computed runs the same statistics as
    rpt_experiment_results. A customer counts in a month once assigned before
    the month ends; only orders from the assignment on count. The covariate x
    is the same metric in the previous month (CUPED). Months run from the first
    order's month to the month of as_of (the last may be partial).
-#}

with

config as (
    select * from {{ ref('int_experiment_config') }}
    where is_global_holdout
),

assignments as (
    select
        customer_id,
        variant,
        exposed_at
    from {{ ref('int_experiment_assignments_resolved') }}
    where experiment_id = {{ quote_literal(var('global_holdout_experiment_id')) }}
),

orders as (
    select
        customer_id,
        ordered_at,
        is_completed,
        net_revenue
    from {{ ref('int_orders_attributed') }}
),

month_range as (
    select
        date_trunc('month', min(ordered_at)) as first_month,
        date_trunc('month', {{ dbt.dateadd('microsecond', '-1', as_of_timestamp()) }}) as last_month
    from orders
),

month_starts as (
    select {{ explode_series('first_month', 'last_month', '1 month') }} as month_start
    from month_range
),

months as (
    select
        cast(month_start as timestamp) as month_start,
        cast({{ dbt.dateadd('month', '1', 'month_start') }} as timestamp) as month_end
    from month_starts
),

-- every assigned customer in every month that ends after their assignment
customer_months as (
    select
        assignments.customer_id,
        assignments.variant,
        assignments.exposed_at,
        months.month_start,
        months.month_end
    from assignments
    inner join months
        on assignments.exposed_at < months.month_end
),

order_months as (
    select
        customer_months.customer_id,
        customer_months.month_start,
        max(
            case
                when orders.ordered_at >= customer_months.month_start
                    and orders.ordered_at >= customer_months.exposed_at
                    and orders.is_completed
                    then 1
                else 0
            end
        ) as conversion_value,
        max(
            case
                when orders.ordered_at < customer_months.month_start and orders.is_completed then 1 else 0
            end
        ) as conversion_previous,
        sum(
            case
                when orders.ordered_at >= customer_months.month_start
                    and orders.ordered_at >= customer_months.exposed_at
                    then orders.net_revenue
                else 0
            end
        ) as revenue_value,
        sum(
            case when orders.ordered_at < customer_months.month_start then orders.net_revenue else 0 end
        ) as revenue_previous
    from customer_months
    inner join orders
        on customer_months.customer_id = orders.customer_id
        and {{ dbt.dateadd('month', '-1', 'customer_months.month_start') }} <= orders.ordered_at
        and customer_months.month_end > orders.ordered_at
    group by customer_months.customer_id, customer_months.month_start
),

unit_months as (
    select
        customer_months.variant,
        customer_months.month_start,
        coalesce(order_months.conversion_value, 0) as conversion_value,
        coalesce(order_months.conversion_previous, 0) as conversion_previous,
        cast(coalesce(order_months.revenue_value, 0) as double) as revenue_value,
        cast(coalesce(order_months.revenue_previous, 0) as double) as revenue_previous
    from customer_months
    left join order_months
        on customer_months.customer_id = order_months.customer_id
        and customer_months.month_start = order_months.month_start
),

unit_metrics as (
    select
        variant,
        month_start,
        'conversion' as metric,
        true as is_binary,
        conversion_value as metric_value,
        conversion_previous as pre_exposure_value
    from unit_months
    union all
    select
        variant,
        month_start,
        'revenue' as metric,
        false as is_binary,
        revenue_value as metric_value,
        revenue_previous as pre_exposure_value
    from unit_months
),

sums as (
    select
        variant,
        month_start,
        metric,
        {{ experiment_moment_sums() }}
    from unit_metrics
    group by variant, month_start, metric
),

arm_months as (
    select
        config.experiment_id,
        config.variant,
        config.control_variant,
        config.expected_share,
        months.month_start,
        metrics.metric,
        metrics.is_binary
    from config
    cross join months
    cross join (values ('conversion', true), ('revenue', false)) as metrics (metric, is_binary)
)

select
    arm_months.experiment_id,
    arm_months.variant,
    arm_months.control_variant,
    arm_months.metric,
    arm_months.is_binary,
    arm_months.expected_share,
    0 as excluded_units,
    cast(arm_months.month_start as date) as group_month,
    coalesce(sums.n_units, 0) as n_units,
    cast(coalesce(sums.sum_y, 0) as double) as sum_y,
    cast(coalesce(sums.sum_y2, 0) as double) as sum_y2,
    cast(coalesce(sums.sum_x, 0) as double) as sum_x,
    cast(coalesce(sums.sum_x2, 0) as double) as sum_x2,
    cast(coalesce(sums.sum_xy, 0) as double) as sum_xy
from arm_months
left join sums
    on arm_months.variant = sums.variant
    and arm_months.month_start = sums.month_start
    and arm_months.metric = sums.metric
