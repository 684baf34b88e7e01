with

results as (
    select * from {{ ref('int_experiment_results_computed') }}
),

config as (
    select * from {{ ref('int_experiment_config') }}
)

select
    results.experiment_id || '|' || results.variant || '|' || results.metric as result_id,
    results.experiment_id,
    results.variant,
    results.control_variant,
    results.metric,
    cast(results.is_control as boolean) as is_control,
    results.metric = config.primary_metric as is_primary_metric,
    cast(results.is_binary as boolean) as is_binary,
    cast(results.n_units as bigint) as n_units,
    cast(results.excluded_units as bigint) as excluded_units,
    cast(results.expected_share as double) as expected_share,
    config.expected_share_source,
    config.is_declared_experiment,
    config.variants_source,
    config.is_declared_variant,
    -- external experiments: the variant is in raw experiment_assignments; project ones: it has units
    coalesce(config.is_in_raw_assignments, results.n_units > 0) as is_in_data,
    config.has_variant_mismatch,
    config.variant_mismatch_reason,
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
    cast(results.cuped_theta as double) as cuped_theta,
    cast(results.chance_to_beat_control as double) as chance_to_beat_control,
    cast(results.srm_p_value as double) as srm_p_value,
    coalesce(cast(results.is_srm as boolean), false) as is_srm,
    case config.expected_share_source
        when 'unknown'
            then
                'Not computed: the data has variants seeds/experiments.csv does not declare, so their expected share'
                || ' is unknown (see variant_mismatch_reason). Declare every variant with its weight.'
        when 'assumed_equal'
            then
                'Expected shares assumed equal: the variants come from the data, not from declared weights.'
                || ' Declare the variants with their weights in seeds/experiments.csv if the split was not equal.'
    end as srm_note,
    cast(results.is_low_data as boolean) as is_low_data,
    cast(config.conversion_window_days as integer) as conversion_window_days,
    {{ as_of_timestamp() }} as as_of_at
from results
inner join config
    on results.experiment_id = config.experiment_id
    and results.variant = config.variant
