with

results as (
    select * from {{ ref('int_experiment_daily_results_computed') }}
)

select
    experiment_id || '|' || variant || '|' || metric || '|' || cast(result_date as varchar) as result_id,
    cast(result_date as date) as result_date,
    experiment_id,
    variant,
    control_variant,
    metric,
    cast(is_control as boolean) as is_control,
    cast(n_units as bigint) as n_units,
    cast(value as double) as value,  -- noqa: RF04
    cast(control_value as double) as control_value,
    cast(absolute_lift as double) as absolute_lift,
    cast(relative_lift as double) as relative_lift,
    cast(ci_lower as double) as ci_lower,
    cast(ci_upper as double) as ci_upper,
    cast(p_value as double) as p_value,
    cast(p_value_adjusted as double) as p_value_adjusted,
    cast(cuped_absolute_lift as double) as cuped_absolute_lift,
    cast(cuped_ci_lower as double) as cuped_ci_lower,
    cast(cuped_ci_upper as double) as cuped_ci_upper,
    cast(cuped_p_value as double) as cuped_p_value,
    cast(chance_to_beat_control as double) as chance_to_beat_control,
    cast(srm_p_value as double) as srm_p_value,
    coalesce(cast(is_srm as boolean), false) as is_srm,
    cast(is_low_data as boolean) as is_low_data
from results
