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

-- what each customer bought in the label window after each cut-off, for the
-- customers who bought: orders x cut-offs, not features x orders (that join,
-- grouped over every snapshot row, ran out of memory where this fits: 500 MB
-- at 1,000,000 contacts, issue 15)
labels as (
    select
        orders.customer_id,
        plan.cutoff_at,
        count(*) as horizon_orders,
        sum(orders.net_revenue) as horizon_revenue,
        min(orders.ordered_at) as next_order_at
    from orders
    inner join plan
        on orders.ordered_at >= plan.cutoff_at
        and orders.ordered_at < {{ dbt.dateadd('day', 'cast(plan.label_days as integer)', 'plan.cutoff_at') }}
    group by orders.customer_id, plan.cutoff_at
)

select
    md5(features.customer_id || '|' || cast(features.cutoff_at as {{ dbt.type_string() }})) as snapshot_id,
    features.*,
    coalesce(labels.horizon_orders, 0) > 0 as purchased_in_horizon,
    coalesce(labels.horizon_orders, 0) as horizon_orders,
    cast(coalesce(labels.horizon_revenue, 0) as decimal(18, 2)) as horizon_revenue,
    labels.next_order_at,
    features.order_count > 0 and coalesce(labels.horizon_orders, 0) = 0 as churned_in_horizon,
    plan.label_days as horizon_days
from features
inner join plan
    on features.cutoff_at = plan.cutoff_at
left join labels
    on features.customer_id = labels.customer_id
    and features.cutoff_at = labels.cutoff_at
