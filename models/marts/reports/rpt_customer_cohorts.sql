{#-
    Cohort retention and LTV curves: one row per cohort (the calendar month of
    a customer's first completed order) and month since that first order,
    0 (the cohort month) up to the month of as_of. Revenue is net of returns,
    in the base currency, counted in the month of the order (cancelled orders
    count nothing), as in the customer features.
-#}

{%- set as_of = as_of_timestamp() %}

with

orders as (
    select
        order_id,
        customer_id,
        ordered_at,
        net_revenue
    from {{ ref('int_orders_attributed') }}
    where
        is_completed
        and customer_id is not null
        and ordered_at < {{ as_of }}
),

first_orders as (
    select
        customer_id,
        cast(date_trunc('month', min(ordered_at)) as date) as cohort_month
    from orders
    group by customer_id
),

cohorts as (
    select
        cohort_month,
        count(*) as cohort_customers
    from first_orders
    group by cohort_month
),

-- every month from the cohort's to as_of's
cohort_months as (
    select
        cohort_month,
        cohort_customers,
        {{ explode_series('cohort_month', "cast(date_trunc('month', " ~ as_of ~ ") as date)", '1 month') }}
            as activity_month
    from cohorts
),

cohort_periods as (
    select
        cohort_month,
        cohort_customers,
        {{ dbt.datediff('cohort_month', 'cast(activity_month as date)', 'month') }}  -- noqa: LT05
            as months_since_first_order
    from cohort_months
),

orders_in_cohort_months as (
    select
        first_orders.cohort_month,
        {{ dbt.datediff('first_orders.cohort_month', "cast(date_trunc('month', orders.ordered_at) as date)", 'month') }}
            as months_since_first_order,
        orders.customer_id,
        orders.order_id,
        orders.net_revenue
    from orders
    inner join first_orders
        on orders.customer_id = first_orders.customer_id
),

activity as (
    select
        cohort_month,
        months_since_first_order,
        count(distinct customer_id) as active_customers,
        count(*) as orders,
        sum(net_revenue) as net_revenue
    from orders_in_cohort_months
    group by cohort_month, months_since_first_order
),

periods_with_activity as (
    select
        cohort_periods.cohort_month,
        cohort_periods.months_since_first_order,
        cohort_periods.cohort_customers,
        coalesce(activity.active_customers, 0) as active_customers,
        coalesce(activity.orders, 0) as orders,
        coalesce(activity.net_revenue, 0) as net_revenue
    from cohort_periods
    left join activity
        on cohort_periods.cohort_month = activity.cohort_month
        and cohort_periods.months_since_first_order = activity.months_since_first_order
),

cumulated as (
    select
        *,
        sum(net_revenue) over (
            partition by cohort_month
            order by months_since_first_order
            rows between unbounded preceding and current row
        ) as cumulative_net_revenue
    from periods_with_activity
)

select
    cast(cohort_month as date) as cohort_month,
    cast(months_since_first_order as integer) as months_since_first_order,
    cast({{ dbt.dateadd('month', 'cast(months_since_first_order as integer)', 'cohort_month') }} as date)
        as activity_month,
    cast(
        {{ dbt.dateadd('month', 'cast(months_since_first_order as integer) + 1', 'cohort_month') }} <= {{ as_of }}
        as boolean
    ) as is_complete_month,
    cast(cohort_customers as bigint) as cohort_customers,
    cast(active_customers as bigint) as active_customers,
    cast(active_customers / cohort_customers as double) as retention_rate,
    cast(orders as bigint) as orders,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast(cumulative_net_revenue as decimal(18, 2)) as cumulative_net_revenue,
    cast(cumulative_net_revenue / cohort_customers as decimal(18, 2)) as cumulative_net_revenue_per_customer,
    {{ base_currency_literal() }} as currency
from cumulated
