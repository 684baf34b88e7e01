{{ config(materialized='table') }}

{#-
    Training examples for the predictive models: customer features at several
    past cut-offs (the same customer_features_at macro as fct_customer_features,
    so nothing from after a cut-off reaches its features), each labelled with
    what the customer did in the following var propensity_horizon_days (or
    var training_label_days when set). The cut-offs are as_of_date minus 1,
    2, ... var training_snapshots windows, so even the latest label window
    closes by as_of_date.
-#}

{#- the label window: the scoring horizon, unless history is too short to
    label several snapshots with it (var training_label_days) -#}
{%- set horizon = var('training_label_days', none) or var('propensity_horizon_days') %}
{#- cut-offs step back by the label window unless var training_step_days is set
    (a shorter step gives overlapping windows and more examples) -#}
{%- set step = var('training_step_days', none) or horizon %}

with

features as (
    {{ customer_features_at(
        "select " ~ as_of_timestamp() ~ " - to_days(" ~ horizon ~ " + " ~ step ~ " * snapshot) as cutoff_at "
        ~ "from range(0, " ~ var('training_snapshots') ~ ") as snapshots (snapshot)"
    ) | indent(4) }}
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
        min(orders.ordered_at) as next_order_at
    from features
    left join orders
        on features.customer_id = orders.customer_id
        and features.cutoff_at <= orders.ordered_at
        and features.cutoff_at + to_days({{ horizon }}) > orders.ordered_at
    group by features.customer_id, features.cutoff_at
)

select
    md5(features.customer_id || '|' || cast(features.cutoff_at as varchar)) as snapshot_id,
    features.*,
    labels.horizon_orders > 0 as purchased_in_horizon,
    labels.horizon_orders,
    cast(labels.horizon_revenue as decimal(18, 2)) as horizon_revenue,
    labels.next_order_at,
    features.order_count > 0 and labels.horizon_orders = 0 as churned_in_horizon,
    {{ horizon }} as horizon_days
from features
inner join labels
    on features.customer_id = labels.customer_id
    and features.cutoff_at = labels.cutoff_at
