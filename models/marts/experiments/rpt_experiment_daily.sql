with

results as (
    select * from {{ ref('int_experiment_daily_results_computed') }}
),

config as (
    select * from {{ ref('int_experiment_config') }}
)

select
    results.experiment_id || '|' || results.variant || '|' || results.metric || '|'
    || cast(results.result_date as {{ dbt.type_string() }}) as result_id,
    cast(results.result_date as date) as result_date,
    results.experiment_id,
    results.variant,
    results.control_variant,
    results.metric,
    cast(results.is_control as boolean) as is_control,
    cast(results.n_units as bigint) as n_units,
    cast(results.value as double) as value,  -- noqa: RF04
    cast(results.control_value as double) as control_value,
    cast(results.absolute_lift as double) as absolute_lift,
    cast(results.relative_lift as double) as relative_lift,
    cast(results.ci_lower as double) as ci_lower,
    cast(results.ci_upper as double) as ci_upper,
    cast(results.p_value as double) as p_value,
    cast(results.p_value_adjusted as double) as p_value_adjusted,
    cast(results.cuped_absolute_lift as double) as cuped_absolute_lift,
    cast(results.cuped_ci_lower as double) as cuped_ci_lower,
    cast(results.cuped_ci_upper as double) as cuped_ci_upper,
    cast(results.cuped_p_value as double) as cuped_p_value,
    cast(results.chance_to_beat_control as double) as chance_to_beat_control,
    cast(results.srm_p_value as double) as srm_p_value,
    coalesce(cast(results.is_srm as boolean), false) as is_srm,
    cast(results.is_low_data as boolean) as is_low_data,
    config.is_declared_variant,
    config.has_variant_mismatch
from results
inner join config
    on results.experiment_id = config.experiment_id
    and results.variant = config.variant
