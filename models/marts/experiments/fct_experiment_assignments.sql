{#- Published from int_experiment_assignments_resolved, where the rules live. -#}

with

resolved as (
    select * from {{ ref('int_experiment_assignments_resolved') }}
)

select
    assignment_id,
    experiment_id,
    customer_id,
    variant,
    assigned_at,
    exposed_at,
    assignment_source,
    is_global_holdout
from resolved
