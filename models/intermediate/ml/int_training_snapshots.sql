{{ config(materialized='table') }}

{#-
    Training examples for the predictive models: customer features at past
    cut-offs (the same customer_features_at macro as fct_customer_features,
    so nothing from after a cut-off reaches its features), each labelled with
    what the customer did in the following label window. The cut-offs and the
    label window come from int_training_cutoffs_planned, which chooses them
    from the history available; the latest label window closes by as_of_date.
-#}

with

plan as (
    select
        cutoff_at,
        label_days
    from {{ ref('int_training_cutoffs_planned') }}
),

features as (
    {{ customer_features_at('plan') | indent(4) }}
),

orders as (
    select
        customer_id,
        ordered_at,
        net_revenue
    from {{ ref('int_orders_attributed') }}
    where is_completed
),

labels as (
    select
        features.customer_id,
        features.cutoff_at,
        count(orders.ordered_at) as horizon_orders,
        coalesce(sum(orders.net_revenue), 0) as horizon_revenue,
        min(orders.ordered_at) as next_order_at,
        plan.label_days
    from features
    inner join plan
        on features.cutoff_at = plan.cutoff_at
    left join orders
        on features.customer_id = orders.customer_id
        and features.cutoff_at <= orders.ordered_at
        and {{ dbt.dateadd('day', 'cast(plan.label_days as integer)', 'features.cutoff_at') }} > orders.ordered_at
    group by features.customer_id, features.cutoff_at, plan.label_days
)

select
    md5(features.customer_id || '|' || cast(features.cutoff_at as {{ dbt.type_string() }})) as snapshot_id,
    features.*,
    labels.horizon_orders > 0 as purchased_in_horizon,
    labels.horizon_orders,
    cast(labels.horizon_revenue as decimal(18, 2)) as horizon_revenue,
    labels.next_order_at,
    features.order_count > 0 and labels.horizon_orders = 0 as churned_in_horizon,
    labels.label_days as horizon_days
from features
inner join labels
    on features.customer_id = labels.customer_id
    and features.cutoff_at = labels.cutoff_at
