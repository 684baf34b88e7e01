{#-
    The model registry: int_model_runs_graded (both registries, with each
    run's quality grade and the run each model scores with), published with an
    enforced contract.
-#}

with

graded as (
    select * from {{ ref('int_model_runs_graded') }}
)

select
    run_id,
    model_name,
    model_version,
    trained_at,
    as_of_at,
    training_window_start,
    training_window_end,
    parameters,  -- noqa: RF04
    features,
    metrics,
    auc,
    log_loss,
    brier,
    calibration_error,
    recency_baseline_auc,
    prediction_quality,
    quality_grade,
    feature_importance,
    artifact_path,
    is_promoted,
    gate_failure_reason,
    is_current
from graded
