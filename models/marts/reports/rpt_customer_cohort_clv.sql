{#-
    Predicted lifetime value next to the realised one, one row per cohort
    (first-order month, as in rpt_customer_cohorts). The prediction is the clv
    model's predicted net spend over its horizon (var propensity_horizon_days).
    Without leakage: the predictions of the latest scoring run in
    ml_score_history whose horizon has matured (as_of_at + horizon_days at or
    before this build's as_of), for the cohort's customers who had already
    ordered at that run's as_of, next to what they then spent in
    [as_of_at, as_of_at + horizon_days), net of returns. While the history
    holds no matured run (a first build), the current predictions
    (fct_customer_scores) are shown, prediction_basis
    current_scores_not_matured, with no realised value.
-#}

{%- set as_of = as_of_timestamp() %}

with

orders as (
    select
        customer_id,
        ordered_at,
        net_revenue
    from {{ ref('int_orders_attributed') }}
    where
        is_completed
        and customer_id is not null
        and ordered_at < {{ as_of }}
),

history as (
    select * from {{ ref('ml_score_history') }}
),

current_scores as (
    select * from {{ ref('fct_customer_scores') }}
),

first_orders as (
    select
        customer_id,
        min(ordered_at) as first_order_at,
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

latest_matured_run as (
    select
        scored_at,
        as_of_at,
        horizon_days,
        'matured_score_history' as prediction_basis
    from history
    where {{ dbt.dateadd('day', 'horizon_days', 'as_of_at') }} <= {{ as_of }}
    group by scored_at, as_of_at, horizon_days
    order by as_of_at desc, scored_at desc
    limit 1
),

prediction_run as (
    select * from latest_matured_run
    union all
    select
        cast(null as timestamp) as scored_at,
        {{ as_of }} as as_of_at,
        cast({{ number_var('propensity_horizon_days') }} as integer) as horizon_days,
        'current_scores_not_matured' as prediction_basis
    where not exists (select 1 from latest_matured_run)
),

predictions as (
    select
        history.customer_id,
        history.predicted_clv
    from history
    inner join latest_matured_run
        on history.scored_at = latest_matured_run.scored_at
    where history.predicted_clv is not null
    union all
    select
        current_scores.customer_id,
        current_scores.predicted_clv
    from current_scores
    where
        current_scores.predicted_clv is not null
        and not exists (select 1 from latest_matured_run)
),

predicted_cohort_members as (
    select
        first_orders.cohort_month,
        predictions.customer_id,
        predictions.predicted_clv
    from predictions
    inner join first_orders
        on predictions.customer_id = first_orders.customer_id
    cross join prediction_run
    where first_orders.first_order_at < prediction_run.as_of_at
),

realised as (
    select
        predicted_cohort_members.customer_id,
        coalesce(sum(orders.net_revenue), 0) as realised_net_spend
    from predicted_cohort_members
    cross join prediction_run
    left join orders
        on predicted_cohort_members.customer_id = orders.customer_id
        and prediction_run.as_of_at <= orders.ordered_at
        and {{ dbt.dateadd('day', 'prediction_run.horizon_days', 'prediction_run.as_of_at') }} > orders.ordered_at
    where prediction_run.prediction_basis = 'matured_score_history'
    group by predicted_cohort_members.customer_id
),

cohort_values as (
    select
        predicted_cohort_members.cohort_month,
        count(*) as customers_predicted,
        sum(predicted_cohort_members.predicted_clv) as predicted_net_spend,
        sum(realised.realised_net_spend) as realised_net_spend,
        count(realised.customer_id) as customers_realised
    from predicted_cohort_members
    left join realised
        on predicted_cohort_members.customer_id = realised.customer_id
    group by predicted_cohort_members.cohort_month
)

select
    cast(cohorts.cohort_month as date) as cohort_month,
    cast(cohorts.cohort_customers as bigint) as cohort_customers,
    cast(prediction_run.prediction_basis as {{ dbt.type_string() }}) as prediction_basis,
    cast(prediction_run.scored_at as timestamp) as scored_at,
    cast(prediction_run.as_of_at as timestamp) as predicted_as_of_at,
    cast(prediction_run.horizon_days as integer) as horizon_days,
    cast({{ dbt.dateadd('day', 'prediction_run.horizon_days', 'prediction_run.as_of_at') }} <= {{ as_of }} as boolean)
        as is_horizon_matured,
    cast(coalesce(cohort_values.customers_predicted, 0) as bigint) as customers_predicted,
    cast(cohort_values.predicted_net_spend / cohort_values.customers_predicted as decimal(18, 2))
        as mean_predicted_clv,
    cast(
        case
            when cohort_values.customers_realised > 0
                then cohort_values.realised_net_spend / cohort_values.customers_realised
        end as decimal(18, 2)
    ) as mean_realised_net_spend,
    cast(cohort_values.predicted_net_spend as decimal(18, 2)) as predicted_net_spend,
    cast(
        case when cohort_values.customers_realised > 0 then cohort_values.realised_net_spend end
        as decimal(18, 2)
    ) as realised_net_spend,
    {{ base_currency_literal() }} as currency
from cohorts
cross join prediction_run
left join cohort_values
    on cohorts.cohort_month = cohort_values.cohort_month
