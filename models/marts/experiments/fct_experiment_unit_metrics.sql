{#- Published from int_experiment_unit_metrics, where the metric windows live. -#}

with

unit_metrics as (
    select * from {{ ref('int_experiment_unit_metrics') }}
)

select
    assignment_id,
    experiment_id,
    customer_id,
    variant,
    exposed_at,
    metric,
    is_binary,
    metric_value,
    pre_exposure_value
from unit_metrics
