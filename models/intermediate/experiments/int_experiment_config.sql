{#-
    One row per experiment and variant, from seeds/experiments.csv with every
    default applied (documented in _experiments__models.yml), plus the global
    holdout. bucket_lower/bucket_upper split [0, 1) by the variants' weights for
    the assignment hash.
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
        ]) }}
    from {{ ref('experiments') }}
),

external_experiments as (
    select distinct experiment_id from {{ ref('stg_experiments__assignments') }}
),

experiments as (
    select
        cast(seed.experiment_id as varchar) as experiment_id,
        trim(cast(seed.control_variant as varchar)) as control_variant,
        cast(seed.conversion_window_days as integer) as conversion_window_days,
        coalesce(
            nullif(trim(cast(seed.variants as varchar)), ''),
            trim(cast(seed.control_variant as varchar)) || ':1|treatment:1'
        ) as variants,
        coalesce(
            nullif(lower(trim(cast(seed.assigned_by as varchar))), ''),
            case when external_experiments.experiment_id is not null then 'external' else 'project' end
        ) as assigned_by,
        cast(nullif(trim(cast(seed.starts_at as varchar)), '') as timestamp) as starts_at,
        cast(nullif(trim(cast(seed.ends_at as varchar)), '') as timestamp) as ends_at,
        coalesce(nullif(trim(cast(seed.primary_metric as varchar)), ''), 'conversion') as primary_metric,
        coalesce(nullif(trim(cast(seed.salt as varchar)), ''), '{{ var("experiment_salt") }}') as salt,
        coalesce(cast(seed.description as varchar), '') as description,
        false as is_global_holdout
    from seed
    left join external_experiments
        on seed.experiment_id = external_experiments.experiment_id
    union all
    select
        '{{ var("global_holdout_experiment_id") }}' as experiment_id,
        'holdout' as control_variant,
        {{ var('global_holdout_window_days') }} as conversion_window_days,
        'holdout:{{ var("global_holdout_share") }}|personalized:{{ 1 - var("global_holdout_share") }}' as variants,
        'project' as assigned_by,
        null as starts_at,
        null as ends_at,
        'conversion' as primary_metric,
        '{{ var("experiment_salt") }}' as salt,
        'Global holdout: customers who receive no personalisation; measures the whole programme' as description,
        true as is_global_holdout
),

variant_entries as (
    select
        experiment_id,
        unnest(string_split(variants, '|')) as entry,
        unnest(range(1, len(string_split(variants, '|')) + 1)) as variant_position
    from experiments
),

variants as (
    select
        experiment_id,
        variant_position,
        trim(split_part(entry, ':', 1)) as variant,
        coalesce(try_cast(nullif(trim(split_part(entry, ':', 2)), '') as double), 1.0) as weight
    from variant_entries
),

shares as (
    select
        experiment_id,
        variant_position,
        variant,
        weight,
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
    from variants
)

select
    experiments.experiment_id,
    shares.variant,
    shares.variant_position,
    shares.weight,
    shares.expected_share,
    shares.bucket_lower,
    shares.bucket_upper,
    shares.variant = experiments.control_variant as is_control,
    experiments.control_variant,
    experiments.conversion_window_days,
    experiments.assigned_by,
    experiments.starts_at,
    experiments.ends_at,
    experiments.primary_metric,
    experiments.salt,
    experiments.description,
    experiments.is_global_holdout
from experiments
inner join shares
    on experiments.experiment_id = shares.experiment_id
