{#-
    Calibration by decile of the graded predictions (int_score_history_graded):
    one row per model (propensity, churn, clv), scoring run whose horizon has
    matured, and decile of the predicted value (1 lowest, 10 highest; equal
    counts, ties split by customer_id): the mean prediction next to what
    happened (the observed rate, or the realised net spend for clv). The
    gains and calibration curves of rpt_model_monitoring's runs.
-#}

with

graded as (
    select * from {{ ref('int_score_history_graded') }}
    where model_name in ('propensity', 'churn', 'clv')
),

deciled as (
    select
        *,
        ntile(10) over (
            partition by model_name, scored_at
            order by predicted_value, customer_id
        ) as decile
    from graded
),

deciles as (
    select
        model_name,
        scored_at,
        decile,
        min(model_version) as model_version,
        min(as_of_at) as as_of_at,
        count(*) as customers,
        sum(observed_value) as observed_total,
        avg(predicted_value) as mean_predicted,
        avg(observed_value) as mean_observed,
        min(predicted_value) as min_predicted,
        max(predicted_value) as max_predicted
    from deciled
    group by model_name, scored_at, decile
)

select
    cast(model_name as {{ dbt.type_string() }}) as model_name,
    cast(scored_at as timestamp) as scored_at,
    cast(decile as integer) as decile,
    cast(model_version as {{ dbt.type_string() }}) as model_version,
    cast(as_of_at as timestamp) as scored_as_of_at,
    cast(customers as bigint) as customers,
    cast(mean_predicted as double) as mean_predicted,
    cast(mean_observed as double) as mean_observed,
    cast(mean_observed - mean_predicted as double) as calibration_gap,
    cast(min_predicted as double) as min_predicted,
    cast(max_predicted as double) as max_predicted,
    cast(
        observed_total / sum(observed_total) over (partition by model_name, scored_at) as double
    ) as share_of_observed
from deciles
