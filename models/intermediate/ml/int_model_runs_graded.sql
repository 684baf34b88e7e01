{#-
    The model registry graded: every registered model, predictive and
    recommender, one row per model and retrain. The two families train in
    their own nodes (ml_predictive_model_runs, ml_recommender_runs) so dbt runs
    them in parallel. A run that failed its quality gate (python_udfs/ml/gate.py)
    has is_promoted false and a gate_failure_reason; is_current marks, per
    model, the run scoring uses: its last promoted run with a saved artifact.
    Runs recorded before the gate existed count as promoted (the scoring
    steps pick the same run in python_udfs/registry.py, current_runs).
    ml_model_runs publishes it.
#}

{%- set run_columns = [
    'run_id', 'model_name', 'model_version', 'trained_at', 'as_of_at', 'training_window_start',
    'training_window_end', 'parameters', 'features', 'metrics', 'auc', 'log_loss', 'brier',
    'calibration_error', 'recency_baseline_auc', 'feature_importance', 'artifact_path', 'is_promoted',
    'gate_failure_reason',
] %}

with

runs as (
    select {{ run_columns | join(', ') }} from {{ ref('ml_predictive_model_runs') }}
    union all
    select {{ run_columns | join(', ') }} from {{ ref('ml_recommender_runs') }}
),

grades as (
    select
        quality_grade,
        min_quality
    from {{ ref('prediction_quality_grades') }}
),

promoted as (
    select
        runs.*,
        coalesce(cast(runs.is_promoted as boolean), true) as is_promoted_or_legacy
    from runs
),

current_runs as (
    select
        model_name,
        max(trained_at) as trained_at
    from promoted
    where is_promoted_or_legacy and artifact_path is not null
    group by model_name
),

graded as (
    select
        promoted.*,
        current_runs.model_name is not null as is_current,
        -- lift quality (python_udfs/ml/metrics.py lift_quality, also in metrics):
        -- the same ranking read on a 0 (random) to 1 (perfect) scale, 2 x AUC - 1
        2 * cast(promoted.auc as double) - 1 as prediction_quality
    from promoted
    left join current_runs
        on promoted.model_name = current_runs.model_name
        and promoted.trained_at = current_runs.trained_at
)

select
    cast(run_id as {{ dbt.type_string() }}) as run_id,
    cast(model_name as {{ dbt.type_string() }}) as model_name,
    cast(model_version as {{ dbt.type_string() }}) as model_version,
    cast(trained_at as {{ dbt.type_string() }}) as trained_at,
    cast(as_of_at as {{ dbt.type_string() }}) as as_of_at,
    cast(training_window_start as {{ dbt.type_string() }}) as training_window_start,
    cast(training_window_end as {{ dbt.type_string() }}) as training_window_end,
    cast(parameters as {{ dbt.type_string() }}) as parameters,  -- noqa: RF04
    cast(features as {{ dbt.type_string() }}) as features,
    cast(metrics as {{ dbt.type_string() }}) as metrics,
    cast(auc as double) as auc,
    cast(log_loss as double) as log_loss,
    cast(brier as double) as brier,
    cast(calibration_error as double) as calibration_error,
    cast(recency_baseline_auc as double) as recency_baseline_auc,
    prediction_quality,
    {{ band_reached('grades', 'quality_grade', 'min_quality', 'graded.prediction_quality') }} as quality_grade,
    cast(feature_importance as {{ dbt.type_string() }}) as feature_importance,
    cast(artifact_path as {{ dbt.type_string() }}) as artifact_path,
    is_promoted_or_legacy as is_promoted,
    cast(gate_failure_reason as {{ dbt.type_string() }}) as gate_failure_reason,
    is_current
from graded
