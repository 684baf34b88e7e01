{#-
    The predictions of ml_score_history graded against what happened: one row
    per model, scoring run and customer, for the runs whose horizon has
    matured (as_of_at + horizon_days at or before this run's as_of, so every
    order or click the label window could hold has been seen). Labels, like
    the training snapshots': completed orders in [as_of_at, as_of_at +
    horizon_days), money net of returns in the base currency (cancelled
    orders count nothing).
    - propensity: predicted purchase_propensity, observed 1 if the customer
      bought in the window.
    - churn: past buyers (churn_risk scored), observed 1 if they did not buy.
    - clv: predicted_clv, observed the realised net spend in the window.
    - recommendations: customers with a list, observed 1 if they bought one of
      its products in the window (hit); recommended_product_clicks counts
      their email clicks in the window on a URL naming one of its products
      (url_product_id of int_email_events_attributed).
-#}

{%- set as_of = as_of_timestamp() %}

with

history as (
    select * from {{ ref('ml_score_history') }}
),

orders as (
    select
        customer_id,
        ordered_at,
        net_revenue
    from {{ ref('int_orders_attributed') }}
    where is_completed and customer_id is not null
),

order_lines as (
    select
        customer_id,
        ordered_at,
        product_id
    from {{ ref('int_order_lines_enriched') }}
    where is_completed and not is_return and customer_id is not null
),

clicks as (
    select
        customer_id,
        occurred_at,
        url_product_id
    from {{ ref('int_email_events_attributed') }}
    where event_type = 'click' and url_product_id is not null and customer_id is not null
),

matured as (
    select
        *,
        {{ dbt.dateadd('day', 'horizon_days', 'as_of_at') }} as label_window_end_at
    from history
    where {{ dbt.dateadd('day', 'horizon_days', 'as_of_at') }} <= {{ as_of }}
),

outcomes as (
    select
        matured.scored_at,
        matured.customer_id,
        count(orders.ordered_at) as horizon_orders,
        coalesce(sum(orders.net_revenue), 0) as realised_net_spend
    from matured
    left join orders
        on matured.customer_id = orders.customer_id
        and matured.as_of_at <= orders.ordered_at
        and matured.label_window_end_at > orders.ordered_at
    group by matured.scored_at, matured.customer_id
),

recommended_purchases as (
    select
        matured.scored_at,
        matured.customer_id,
        count(*) as recommended_lines_bought
    from matured
    inner join order_lines
        on matured.customer_id = order_lines.customer_id
        and matured.as_of_at <= order_lines.ordered_at
        and matured.label_window_end_at > order_lines.ordered_at
        and {{ list_has('matured.recommended_product_ids', 'order_lines.product_id') }}
    group by matured.scored_at, matured.customer_id
),

recommended_clicks as (
    select
        matured.scored_at,
        matured.customer_id,
        count(*) as recommended_product_clicks
    from matured
    inner join clicks
        on matured.customer_id = clicks.customer_id
        and matured.as_of_at <= clicks.occurred_at
        and matured.label_window_end_at > clicks.occurred_at
        and {{ list_has('matured.recommended_product_ids', 'clicks.url_product_id') }}
    group by matured.scored_at, matured.customer_id
),

graded as (
    select
        matured.*,
        outcomes.horizon_orders,
        outcomes.realised_net_spend,
        coalesce(recommended_purchases.recommended_lines_bought, 0) as recommended_lines_bought,
        coalesce(recommended_clicks.recommended_product_clicks, 0) as recommended_product_clicks
    from matured
    inner join outcomes
        on matured.scored_at = outcomes.scored_at
        and matured.customer_id = outcomes.customer_id
    left join recommended_purchases
        on matured.scored_at = recommended_purchases.scored_at
        and matured.customer_id = recommended_purchases.customer_id
    left join recommended_clicks
        on matured.scored_at = recommended_clicks.scored_at
        and matured.customer_id = recommended_clicks.customer_id
),

long_form as (
    select
        'propensity' as model_name,
        propensity_model_version as model_version,
        purchase_propensity as predicted_value,
        case when horizon_orders > 0 then 1.0 else 0.0 end as observed_value,
        *
    from graded
    where purchase_propensity is not null
    union all
    select
        'churn' as model_name,
        churn_model_version as model_version,
        churn_risk as predicted_value,
        case when horizon_orders = 0 then 1.0 else 0.0 end as observed_value,
        *
    from graded
    where churn_risk is not null
    union all
    select
        'clv' as model_name,
        clv_model_version as model_version,
        cast(predicted_clv as double) as predicted_value,
        cast(realised_net_spend as double) as observed_value,
        *
    from graded
    where predicted_clv is not null
    union all
    select
        'recommendations' as model_name,
        recommendations_model_version as model_version,
        cast(null as double) as predicted_value,
        case when recommended_lines_bought > 0 then 1.0 else 0.0 end as observed_value,
        *
    from graded
    where {{ list_size('recommended_product_ids') }} > 0
)

select
    md5(model_name || '|' || cast(scored_at as {{ dbt.type_string() }}) || '|' || customer_id) as graded_prediction_id,
    model_name,
    cast(model_version as {{ dbt.type_string() }}) as model_version,
    scored_at,
    as_of_at,
    horizon_days,
    label_window_end_at,
    customer_id,
    cast(predicted_value as double) as predicted_value,
    cast(observed_value as double) as observed_value,
    cast(horizon_orders as integer) as horizon_orders,
    cast(realised_net_spend as decimal(18, 2)) as realised_net_spend,
    cast({{ list_size('recommended_product_ids') }} as integer) as recommended_products,
    cast(recommended_product_clicks as integer) as recommended_product_clicks
from long_form
