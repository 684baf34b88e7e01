{#-
    The model registry: every registered model, predictive and recommender,
    one row per model and retrain. The two families train in their own nodes
    (ml_predictive_model_runs, ml_recommender_runs) so dbt runs them in parallel.
#}

with

runs as (
    select * from {{ ref('ml_predictive_model_runs') }}
    union all by name
    select * from {{ ref('ml_recommender_runs') }}
),

grades as (
    select
        quality_grade,
        min_quality
    from {{ ref('prediction_quality_grades') }}
),

graded as (
    select
        runs.*,
        -- lift quality (python_udfs/ml/metrics.py lift_quality, also in metrics):
        -- the same ranking read on a 0 (random) to 1 (perfect) scale, 2 x AUC - 1
        2 * cast(runs.auc as double) - 1 as prediction_quality
    from runs
)

select
    cast(run_id as varchar) as run_id,
    cast(model_name as varchar) as model_name,
    cast(model_version as varchar) as model_version,
    cast(trained_at as varchar) as trained_at,
    cast(as_of_at as varchar) as as_of_at,
    cast(training_window_start as varchar) as training_window_start,
    cast(training_window_end as varchar) as training_window_end,
    cast(parameters as varchar) as parameters,  -- noqa: RF04
    cast(features as varchar) as features,
    cast(metrics as varchar) as metrics,
    cast(auc as double) as auc,
    cast(log_loss as double) as log_loss,
    cast(brier as double) as brier,
    cast(calibration_error as double) as calibration_error,
    cast(recency_baseline_auc as double) as recency_baseline_auc,
    prediction_quality,
    {{ band_reached('grades', 'quality_grade', 'min_quality', 'graded.prediction_quality') }} as quality_grade,
    cast(feature_importance as varchar) as feature_importance,
    cast(artifact_path as varchar) as artifact_path
from graded
