{{ config(materialized='table') }}

{#-
    One row per experiment and variant, from seeds/experiments.csv with every
    default applied (documented in _experiments__models.yml), plus the global
    holdout, plus what raw experiment_assignments says for external
    experiments: every variant the data names is an arm, declared or not, and
    an external experiment with no seed row is kept with its variants from the
    data. Mismatches between what is declared and what the data has are
    flagged here (has_variant_mismatch, variant_mismatch_reason), never
    dropped. bucket_lower/bucket_upper split [0, 1) by the variants' weights
    for the assignment hash (project experiments).

    A table, not a view: seven models and seven tests read it, and a view would
    make each of them recompute its many self-joined steps (on Spark, analysing
    the expanded query took about 4 s for every reader).
-#}

with

-- optional columns may be missing from the seed altogether: they take their defaults
seed as (
    select
        experiment_id,
        control_variant,
        conversion_window_days,
        {{ optional_columns(ref('experiments'), [
            'variants', 'assigned_by', 'starts_at', 'ends_at', 'primary_metric', 'salt', 'description'
        ], dbt.type_string()) }}
    from {{ ref('experiments') }}
),

-- the variants raw assignments name, per experiment
observed as (
    select distinct
        experiment_id,
        variant
    from {{ ref('stg_experiments__assignments') }}
),

external_experiments as (
    select
        experiment_id,
        {{ string_agg_sorted('variant', "', '") }} as raw_variants
    from observed
    group by experiment_id
),

declared_experiments as (
    select
        cast(seed.experiment_id as {{ dbt.type_string() }}) as experiment_id,
        trim(cast(seed.control_variant as {{ dbt.type_string() }})) as control_variant,
        cast(seed.conversion_window_days as integer) as conversion_window_days,
        nullif(trim(cast(seed.variants as {{ dbt.type_string() }})), '') as declared_variant_list,
        coalesce(
            nullif(lower(trim(cast(seed.assigned_by as {{ dbt.type_string() }}))), ''),
            case when external_experiments.experiment_id is not null then 'external' else 'project' end
        ) as assigned_by,
        cast(nullif(trim(cast(seed.starts_at as {{ dbt.type_string() }})), '') as timestamp) as starts_at,
        cast(nullif(trim(cast(seed.ends_at as {{ dbt.type_string() }})), '') as timestamp) as ends_at,
        coalesce(
            nullif(trim(cast(seed.primary_metric as {{ dbt.type_string() }})), ''), 'conversion'
        ) as primary_metric,
        coalesce(
            nullif(trim(cast(seed.salt as {{ dbt.type_string() }})), ''), {{ quote_literal(var('experiment_salt')) }}
        ) as salt,
        coalesce(cast(seed.description as {{ dbt.type_string() }}), '') as description,
        true as is_declared_experiment,
        false as is_global_holdout
    from seed
    left join external_experiments
        on cast(seed.experiment_id as {{ dbt.type_string() }}) = external_experiments.experiment_id
),

-- external experiments the data has and the seed does not: kept, control guessed
-- ('control' when the data has it, else the first variant by name)
undeclared_experiments as (
    select
        observed.experiment_id,
        coalesce(
            max(case when observed.variant = 'control' then observed.variant end),
            min(observed.variant)
        ) as control_variant,
        cast({{ number_var('experiment_default_conversion_window_days') }} as integer)
            as conversion_window_days,
        cast(null as {{ dbt.type_string() }}) as declared_variant_list,
        'external' as assigned_by,
        cast(null as timestamp) as starts_at,
        cast(null as timestamp) as ends_at,
        'conversion' as primary_metric,
        {{ quote_literal(var('experiment_salt')) }} as salt,
        'Not declared in seeds/experiments.csv: found in raw experiment_assignments' as description,
        false as is_declared_experiment,
        false as is_global_holdout
    from observed
    anti join declared_experiments
        on observed.experiment_id = declared_experiments.experiment_id
    -- raw rows under the holdout's id are not a second holdout: the project assigns it
    where observed.experiment_id != {{ quote_literal(var('global_holdout_experiment_id')) }}
    group by observed.experiment_id
),

holdout_experiment as (
    select
        {{ quote_literal(var('global_holdout_experiment_id')) }} as experiment_id,
        'holdout' as control_variant,
        cast({{ number_var('global_holdout_window_days') }} as integer) as conversion_window_days,
        'holdout:' || cast({{ number_var('global_holdout_share') }} as {{ dbt.type_string() }})
        || '|personalized:' || cast(1 - {{ number_var('global_holdout_share') }} as {{ dbt.type_string() }})
            as declared_variant_list,
        'project' as assigned_by,
        cast(null as timestamp) as starts_at,
        cast(null as timestamp) as ends_at,
        'conversion' as primary_metric,
        {{ quote_literal(var('experiment_salt')) }} as salt,
        'Global holdout: customers who receive no personalisation; measures the whole programme' as description,
        true as is_declared_experiment,
        true as is_global_holdout
),

experiments_unioned as (
    select * from declared_experiments
    union all
    select * from undeclared_experiments
    union all
    select * from holdout_experiment
),

-- where the arms come from: the seed's variants (declared); for a project
-- experiment without them, control and treatment at equal weight (default);
-- for an external one, the declared control plus every variant in the data (data)
experiments as (
    select
        *,
        case
            when declared_variant_list is not null then 'declared'
            when assigned_by = 'project' then 'default'
            else 'data'
        end as variants_source,
        case
            when declared_variant_list is not null then declared_variant_list
            when assigned_by = 'project' then control_variant || ':1|treatment:1'
            when is_declared_experiment then control_variant || ':1'
        end as variant_list
    from experiments_unioned
),

variant_entries as (
    select
        experiment_id,
        {{ split_with_positions('variant_list', '|', 'entry', 'variant_position') }}
    from experiments
    where variant_list is not null
),

declared_arms as (
    select
        experiment_id,
        variant_position,
        trim(split_part(entry, ':', 1)) as variant,
        coalesce(try_cast(nullif(trim(split_part(entry, ':', 2)), '') as double), 1.0) as weight
    from variant_entries
),

-- the data only speaks for external experiments: the project assigns its own
observed_external as (
    select observed.*
    from observed
    inner join experiments
        on observed.experiment_id = experiments.experiment_id
        and experiments.assigned_by = 'external'
),

variants_reconciled as (
    select
        coalesce(declared_arms.experiment_id, observed_external.experiment_id) as experiment_id,
        coalesce(declared_arms.variant, observed_external.variant) as variant,
        declared_arms.variant_position as declared_position,
        declared_arms.weight as declared_weight,
        declared_arms.variant is not null as is_declared_variant,
        observed_external.variant is not null as is_observed_variant
    from declared_arms
    full outer join observed_external
        on declared_arms.experiment_id = observed_external.experiment_id
        and declared_arms.variant = observed_external.variant
),

variants_weighted as (
    select
        variants_reconciled.experiment_id,
        variants_reconciled.variant,
        variants_reconciled.is_declared_variant,
        -- for project experiments the data is the project's own assignment: not known here
        case
            when experiments.assigned_by = 'external' then variants_reconciled.is_observed_variant
        end as is_in_raw_assignments,
        row_number() over (
            partition by variants_reconciled.experiment_id
            order by variants_reconciled.declared_position nulls last, variants_reconciled.variant
        ) as variant_position,
        -- a variant the seed does not declare has no known weight, unless the
        -- experiment takes its variants from the data: then equal weights are assumed
        case
            when variants_reconciled.is_declared_variant then variants_reconciled.declared_weight
            when experiments.variants_source = 'data' then 1.0
        end as weight
    from variants_reconciled
    inner join experiments
        on variants_reconciled.experiment_id = experiments.experiment_id
),

shares as (
    select
        *,
        weight / sum(weight) over (partition by experiment_id) as expected_share,
        -- bounds from cumulative weights, so one variant's upper bound is exactly the next one's lower bound
        coalesce(
            sum(weight) over (
                partition by experiment_id order by variant_position
                rows between unbounded preceding and 1 preceding
            ),
            0
        ) / sum(weight) over (partition by experiment_id) as bucket_lower,
        sum(weight) over (
            partition by experiment_id order by variant_position
            rows between unbounded preceding and current row
        ) / sum(weight) over (partition by experiment_id) as bucket_upper
    from variants_weighted
),

-- what the declaration and the data disagree on, per external experiment
mismatches as (
    select
        shares.experiment_id,
        {{ string_agg_sorted(
            'case when shares.is_declared_variant and not shares.is_in_raw_assignments then shares.variant end',
            "', '"
        ) }} as declared_not_in_data,
        {{ string_agg_sorted(
            'case when not shares.is_declared_variant and shares.is_in_raw_assignments then shares.variant end',
            "', '"
        ) }} as in_data_not_declared,
        {{ string_agg_sorted('shares.variant', "', '") }} as all_variants
    from shares
    inner join experiments
        on shares.experiment_id = experiments.experiment_id
    where experiments.assigned_by = 'external'
    group by shares.experiment_id
),

mismatch_parts as (
    select
        experiments.*,
        mismatches.all_variants,
        'Declared in seeds/experiments.csv but not in raw experiment_assignments: '
        || mismatches.declared_not_in_data || '.' as declared_not_in_data_text,
        case
            when experiments.variants_source = 'declared'
                then
                    'In raw experiment_assignments but not declared in the variants of seeds/experiments.csv: '
                    || mismatches.in_data_not_declared || ' (kept as arms; their expected share is unknown).'
        end as in_data_not_declared_text,
        mismatches.in_data_not_declared,
        -- raw rows for an experiment the project assigns itself are not read: say so
        case
            when experiments.assigned_by = 'project'
                then
                    'Raw experiment_assignments has rows for this experiment (variants '
                    || external_experiments.raw_variants
                    || ') but the project assigns it (assigned_by project, or the global holdout), so they are'
                    || ' ignored. If they are assignments made elsewhere, set assigned_by to external or give'
                    || ' them their own experiment_id.'
        end as raw_rows_ignored_text
    from experiments
    left join mismatches
        on experiments.experiment_id = mismatches.experiment_id
    left join external_experiments
        on experiments.experiment_id = external_experiments.experiment_id
),

experiments_checked as (
    select
        *,
        case
            when not is_declared_experiment
                then
                    'Experiment not declared in seeds/experiments.csv: variants ' || all_variants
                    || ' taken from raw experiment_assignments, control guessed as ''' || control_variant
                    || ''', equal shares assumed, conversion window ' || conversion_window_days
                    || ' days (var experiment_default_conversion_window_days). Add a row to seeds/experiments.csv.'
            when raw_rows_ignored_text is not null then raw_rows_ignored_text
            when declared_not_in_data_text is not null or in_data_not_declared_text is not null
                then
                    concat_ws(
                        ' ',
                        declared_not_in_data_text,
                        in_data_not_declared_text,
                        'Check the variant names in the seed and in the data (case and spelling must match).'
                    )
        end as variant_mismatch_reason,
        case
            when variants_source = 'data' or not is_declared_experiment then 'assumed_equal'
            when variants_source = 'declared' and in_data_not_declared is not null then 'unknown'
            else 'declared'
        end as expected_share_source
    from mismatch_parts
)

select
    experiments_checked.experiment_id,
    shares.variant,
    shares.variant_position,
    shares.weight,
    shares.expected_share,
    shares.bucket_lower,
    shares.bucket_upper,
    shares.variant = experiments_checked.control_variant as is_control,
    experiments_checked.control_variant,
    experiments_checked.conversion_window_days,
    experiments_checked.assigned_by,
    experiments_checked.starts_at,
    experiments_checked.ends_at,
    experiments_checked.primary_metric,
    experiments_checked.salt,
    experiments_checked.description,
    experiments_checked.is_global_holdout,
    experiments_checked.is_declared_experiment,
    experiments_checked.variants_source,
    shares.is_declared_variant,
    shares.is_in_raw_assignments,
    experiments_checked.variant_mismatch_reason is not null as has_variant_mismatch,
    experiments_checked.variant_mismatch_reason,
    experiments_checked.expected_share_source
from experiments_checked
inner join shares
    on experiments_checked.experiment_id = shares.experiment_id
