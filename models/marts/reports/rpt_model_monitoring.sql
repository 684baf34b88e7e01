{#-
    Is each model still good in production: one row per model and scoring run
    (ml_score_history). Scores made one horizon ago are graded against what
    then happened (int_score_history_graded): AUC, Brier score and calibration
    error for propensity and churn, error of the predicted spend for clv, the
    hit rate and email clicks of the recommended products; next to them the
    same metrics the registry measured at training (ml_model_runs, held-out
    validation snapshot) and the feature drift of the run (ml_feature_drift).
    A run whose horizon has not matured yet has is_label_matured false and no
    production metrics.
-#}

{%- set as_of = as_of_timestamp() %}

with

history as (
    select * from {{ ref('ml_score_history') }}
),

graded as (
    select * from {{ ref('int_score_history_graded') }}
),

registry as (
    select * from {{ ref('ml_model_runs') }}
),

drift as (
    select
        cast(scored_at as timestamp) as drift_scored_at,
        feature,
        psi,
        drift_level,
        model_version
    from {{ ref('ml_feature_drift') }}
),

runs as (
    select
        scored_at,
        as_of_at,
        horizon_days,
        lead(scored_at) over (order by scored_at) as next_scored_at
    from history
    group by scored_at, as_of_at, horizon_days
),

run_models as (
    select
        scored_at,
        'propensity' as model_name,
        min(propensity_model_version) as model_version,
        count(purchase_propensity) as customers_scored
    from history
    group by scored_at
    union all
    select
        scored_at,
        'churn' as model_name,
        min(churn_model_version) as model_version,
        count(churn_risk) as customers_scored
    from history
    group by scored_at
    union all
    select
        scored_at,
        'clv' as model_name,
        min(clv_model_version) as model_version,
        count(predicted_clv) as customers_scored
    from history
    group by scored_at
    union all
    select
        scored_at,
        'recommendations' as model_name,
        min(recommendations_model_version) as model_version,
        count(*) filter (where {{ list_size('recommended_product_ids') }} > 0) as customers_scored
    from history
    group by scored_at
),

ranked as (
    select
        *,
        -- average rank of tied scores (1 = lowest), for the Mann-Whitney AUC
        rank() over (partition by model_name, scored_at order by predicted_value)
        + (count(*) over (partition by model_name, scored_at, predicted_value) - 1) / 2.0 as average_rank,
        -- equal-width probability bins, as the registry's calibration_error
        least(floor(predicted_value * 10), 9) as probability_bin
    from graded
    where model_name in ('propensity', 'churn')
),

classification as (
    select
        model_name,
        scored_at,
        sum(observed_value) as positives,
        count(*) - sum(observed_value) as negatives,
        sum(average_rank) filter (where observed_value = 1) as positive_rank_sum,
        avg(power(predicted_value - observed_value, 2)) as brier
    from ranked
    group by model_name, scored_at
),

probability_bins as (
    select
        model_name,
        scored_at,
        probability_bin,
        count(*) as customers,
        abs(avg(observed_value) - avg(predicted_value)) as gap
    from ranked
    group by model_name, scored_at, probability_bin
),

calibration as (
    select
        model_name,
        scored_at,
        sum(customers * gap) / sum(customers) as calibration_error
    from probability_bins
    group by model_name, scored_at
),

production as (
    select
        model_name,
        scored_at,
        count(*) as evaluated_customers,
        sum(observed_value) as positives,
        avg(predicted_value) as mean_predicted,
        avg(observed_value) as mean_observed,
        avg(abs(predicted_value - observed_value)) as mean_absolute_error,
        sum(recommended_product_clicks) as recommended_product_clicks,
        count(*) filter (where recommended_product_clicks > 0) as customers_clicking_recommended
    from graded
    group by model_name, scored_at
),

training as (
    select
        model_name,
        model_version,
        max_by(run_id, trained_at) as training_run_id,
        max_by(auc, trained_at) as training_auc,
        max_by(brier, trained_at) as training_brier,
        max_by(calibration_error, trained_at) as training_calibration_error,
        max_by(cast({{ json_text('metrics', "'$.positive_rate'") }} as double), trained_at) as training_positive_rate,
        max_by(cast({{ json_text('metrics', "'$.mae'") }} as double), trained_at) as training_mean_absolute_error
    from registry
    group by model_name, model_version
),

drift_runs as (
    select
        drift_scored_at,
        min(model_version) as drift_reference_model_version,
        max(psi) filter (where feature != 'purchase_propensity') as max_feature_psi,
        count(*) filter (where feature != 'purchase_propensity' and drift_level = 'major') as features_with_major_drift,
        max(psi) filter (where feature = 'purchase_propensity') as score_psi
    from drift
    group by drift_scored_at
),

-- the drift measured in the same scoring run: the first drift run at or after
-- the run's start and before the next run's
run_drift as (
    select
        runs.scored_at,
        min_by(drift_runs.drift_scored_at, drift_runs.drift_scored_at) as drift_scored_at
    from runs
    inner join drift_runs
        on runs.scored_at <= drift_runs.drift_scored_at
        and (runs.next_scored_at is null or runs.next_scored_at > drift_runs.drift_scored_at)
    group by runs.scored_at
),

joined as (
    select
        run_models.model_name,
        run_models.scored_at,
        run_models.model_version,
        runs.as_of_at,
        runs.horizon_days,
        {{ dbt.dateadd('day', 'runs.horizon_days', 'runs.as_of_at') }} as label_window_end_at,
        {{ dbt.dateadd('day', 'runs.horizon_days', 'runs.as_of_at') }} <= {{ as_of }} as is_label_matured,
        run_models.customers_scored,
        production.evaluated_customers,
        production.positives,
        production.mean_predicted,
        production.mean_observed,
        case
            when classification.positives > 0 and classification.negatives > 0
                then (
                    classification.positive_rank_sum
                    - classification.positives * (classification.positives + 1) / 2.0
                ) / (classification.positives * classification.negatives)
        end as auc,
        classification.brier,
        calibration.calibration_error,
        production.mean_absolute_error,
        production.recommended_product_clicks,
        production.customers_clicking_recommended,
        training.training_run_id,
        training.training_auc,
        training.training_brier,
        training.training_calibration_error,
        training.training_positive_rate,
        training.training_mean_absolute_error,
        run_drift.drift_scored_at,
        drift_runs.drift_reference_model_version,
        drift_runs.max_feature_psi,
        drift_runs.features_with_major_drift,
        drift_runs.score_psi
    from run_models
    inner join runs
        on run_models.scored_at = runs.scored_at
    left join production
        on run_models.model_name = production.model_name
        and run_models.scored_at = production.scored_at
    left join classification
        on run_models.model_name = classification.model_name
        and run_models.scored_at = classification.scored_at
    left join calibration
        on run_models.model_name = calibration.model_name
        and run_models.scored_at = calibration.scored_at
    left join training
        on run_models.model_name = training.model_name
        and run_models.model_version = training.model_version
    left join run_drift
        on run_models.scored_at = run_drift.scored_at
        and run_models.model_name in ('propensity', 'churn', 'clv')
    left join drift_runs
        on run_drift.drift_scored_at = drift_runs.drift_scored_at
    where run_models.customers_scored > 0
)

select
    cast(model_name as {{ dbt.type_string() }}) as model_name,
    cast(scored_at as timestamp) as scored_at,
    cast(model_version as {{ dbt.type_string() }}) as model_version,
    cast(as_of_at as timestamp) as scored_as_of_at,
    cast(horizon_days as integer) as horizon_days,
    cast(label_window_end_at as timestamp) as label_window_end_at,
    cast(is_label_matured as boolean) as is_label_matured,
    cast(customers_scored as bigint) as customers_scored,
    cast(coalesce(evaluated_customers, 0) as bigint) as evaluated_customers,
    cast(case when model_name != 'clv' then positives end as bigint) as positives,
    cast(case when model_name != 'clv' then mean_observed end as double) as observed_rate,
    cast(case when model_name in ('propensity', 'churn') then mean_predicted end as double)
        as mean_predicted_probability,
    cast(auc as double) as auc,
    cast(brier as double) as brier,
    cast(calibration_error as double) as calibration_error,
    cast(case when model_name = 'clv' then mean_predicted end as decimal(18, 2)) as mean_predicted_net_spend,
    cast(case when model_name = 'clv' then mean_observed end as decimal(18, 2)) as mean_realised_net_spend,
    cast(case when model_name = 'clv' then mean_absolute_error end as decimal(18, 2)) as clv_mean_absolute_error,
    cast(case when model_name = 'recommendations' then mean_observed end as double) as recommendation_hit_rate,
    cast(case when model_name = 'recommendations' then recommended_product_clicks end as bigint)
        as recommended_product_clicks,
    cast(case when model_name = 'recommendations' then customers_clicking_recommended end as bigint)
        as customers_clicking_recommended,
    cast(training_run_id as {{ dbt.type_string() }}) as training_run_id,
    cast(training_auc as double) as training_auc,
    cast(training_brier as double) as training_brier,
    cast(training_calibration_error as double) as training_calibration_error,
    cast(training_positive_rate as double) as training_positive_rate,
    cast(training_mean_absolute_error as decimal(18, 2)) as training_clv_mean_absolute_error,
    cast(drift_scored_at as timestamp) as drift_scored_at,
    cast(drift_reference_model_version as {{ dbt.type_string() }}) as drift_reference_model_version,
    cast(max_feature_psi as double) as max_feature_psi,
    cast(features_with_major_drift as bigint) as features_with_major_drift,
    cast(case when model_name = 'propensity' then score_psi end as double) as score_psi,
    {{ base_currency_literal() }} as currency
from joined
