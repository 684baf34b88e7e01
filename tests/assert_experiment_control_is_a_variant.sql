{{ config(group="experiments") }}

-- Every experiment's control_variant must be one of its variants, or no lift
-- can be computed.
with

config as (
    select * from {{ ref('int_experiment_config') }}
)

select
    experiment_id,
    any_value(control_variant) as control_variant
from config
group by experiment_id
having not bool_or(is_control)
