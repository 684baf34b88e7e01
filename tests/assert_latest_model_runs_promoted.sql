{{ config(severity='warn') }}

-- The latest retrain of each model passed its quality gate. A warning, not an
-- error: a rejected run is recorded (ml_model_runs.is_promoted false) and
-- scoring keeps the last promoted version, but an operator should read
-- gate_failure_reason (too little history, as_of_date past the data, a broken
-- loader). Returns each model whose latest run was rejected.

with

runs as (
    select * from {{ ref('ml_model_runs') }}
),

latest as (
    select
        model_name,
        max(trained_at) as trained_at
    from runs
    group by model_name
)

select
    runs.model_name,
    runs.model_version,
    runs.trained_at,
    runs.gate_failure_reason
from runs
inner join latest
    on runs.model_name = latest.model_name
    and runs.trained_at = latest.trained_at
where not runs.is_promoted
