{% macro customer_order_features_at(population, customers=none, cutoffs=none, carry=false) %}
    {#- Order (RFM) features of each row of `population` (a CTE name or
        relation with one row per customer_id and cutoff_at): orders strictly
        before the cut-off, counts over all time and the trailing 90 and 180
        days, money net of returns, recency and the mean gap between orders.
        Customers with no orders get zero counts and money.
        `customers`, `cutoffs` and `carry`: as for every family (macro
        feature_family_keys, macros/customer_population_at.sql). -#}
with

population_cutoffs as (
    select distinct cutoff_at
    from {{ cutoffs or population }}
),

orders as (
    select * from {{ ref('int_orders_attributed') }}
    {%- if customers %}
    where {{ population_customers_only('customer_id', customers) }}
    {%- endif %}
),

order_totals as (
    select
        population_cutoffs.cutoff_at,
        orders.customer_id,
        count(*) filter (where orders.is_completed) as order_count,
        count(*) filter (
            where orders.is_completed and orders.ordered_at >= population_cutoffs.cutoff_at - interval '90 days'
        ) as orders_90d,
        count(*) filter (
            where orders.is_completed and orders.ordered_at >= population_cutoffs.cutoff_at - interval '180 days'
        ) as orders_180d,
        count(*) filter (where orders.status = 'cancelled') as cancelled_order_count,
        sum(orders.net_revenue) as monetary_value,
        sum(orders.returned_amount) filter (where orders.is_completed) as returned_value,
        min(orders.ordered_at) filter (where orders.is_completed) as first_order_at,
        max(orders.ordered_at) filter (where orders.is_completed) as last_order_at
    from orders
    inner join population_cutoffs
        on orders.ordered_at < population_cutoffs.cutoff_at
    group by population_cutoffs.cutoff_at, orders.customer_id
)

select
    {{- feature_family_keys(carry) }}
    coalesce(order_totals.order_count, 0) as order_count,
    coalesce(order_totals.orders_90d, 0) as orders_90d,
    coalesce(order_totals.orders_180d, 0) as orders_180d,
    coalesce(order_totals.cancelled_order_count, 0) as cancelled_order_count,
    order_totals.first_order_at,
    order_totals.last_order_at,
    {{ dbt.datediff('order_totals.last_order_at', 'population.cutoff_at', 'day') }} as recency_days,
    cast(coalesce(order_totals.monetary_value, 0) as decimal(18, 2)) as monetary_value,
    cast(coalesce(order_totals.returned_value, 0) as decimal(18, 2)) as returned_value,
    {{ double_to_decimal(
        'cast(order_totals.monetary_value as double) / nullif(order_totals.order_count, 0)', 18, 2
    ) }} as average_order_value,
    case
        when order_totals.order_count > 1
            then round(
                {{ dbt.datediff('order_totals.first_order_at', 'order_totals.last_order_at', 'second') }}
                / cast(86400 as double) / (order_totals.order_count - 1),
                2
            )
    end as mean_days_between_orders
from {{ population }} as population
left join order_totals
    on population.customer_id = order_totals.customer_id
    and population.cutoff_at = order_totals.cutoff_at
{% endmacro %}
