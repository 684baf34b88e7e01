{#-
    One row per customer in dim_customers with the predictive scores: purchase
    propensity over var propensity_horizon_days, its decile and action tier
    (seeds/propensity_action_tiers.csv), churn risk for past buyers (null with
    a reason otherwise), predicted spend over the horizon, expected next order
    date and behavioural cluster, from each model's last promoted version (a
    retrain that fails its quality gate is not used: is_fallback and
    scoring_note say so).
#}

with

customers as (
    select
        customer_id,
        contact_id
    from {{ ref('dim_customers') }}
),

scores as (
    select * from {{ ref('ml_customer_scores') }}
),

tiers as (
    select
        action_tier,
        min_propensity
    from {{ ref('propensity_action_tiers') }}
)

select
    customers.customer_id,
    customers.contact_id,
    cast(scores.purchase_propensity as double) as purchase_propensity,
    cast(scores.propensity_decile as integer) as propensity_decile,
    {{ band_reached('tiers', 'action_tier', 'min_propensity', 'scores.purchase_propensity') }} as action_tier,
    cast(scores.churn_risk as double) as churn_risk,
    cast(scores.churn_risk_reason as {{ dbt.type_string() }}) as churn_risk_reason,
    cast(scores.predicted_clv as decimal(18, 2)) as predicted_clv,
    cast(scores.predicted_orders as double) as predicted_orders,
    {{ base_currency_literal() }} as currency,
    cast(scores.expected_next_order_date as date) as expected_next_order_date,
    cast(scores.cluster_segment as {{ dbt.type_string() }}) as cluster_segment,
    cast(scores.is_cluster_outlier as boolean) as is_cluster_outlier,
    cast(scores.model_version as {{ dbt.type_string() }}) as model_version,
    cast(scores.scored_with_versions as {{ dbt.type_string() }}) as scored_with_versions,
    cast(scores.is_fallback as boolean) as is_fallback,
    cast(scores.scoring_note as {{ dbt.type_string() }}) as scoring_note
from customers
left join scores
    on customers.customer_id = scores.customer_id
