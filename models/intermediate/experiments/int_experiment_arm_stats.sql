{#-
    Sufficient statistics per experiment, variant and metric: what the
    statistics need, so Python sees one row per arm instead of every unit.
    Configured variants with no units are kept (zero), so the sample ratio
    test sees them.
-#}

with

config as (
    select * from {{ ref('int_experiment_config') }}
),

unit_metrics as (
    select * from {{ ref('int_experiment_unit_metrics') }}
),

candidates as (
    select * from {{ ref('int_experiment_assignments_unioned') }}
),

excluded as (
    select
        experiment_id,
        count(*) as excluded_units
    from (
        select
            experiment_id,
            customer_id
        from candidates
        group by experiment_id, customer_id
        having count(distinct variant) > 1
    ) as conflicted
    group by experiment_id
),

metrics as (
    select distinct
        experiment_id,
        metric,
        is_binary
    from unit_metrics
),

sums as (
    select
        experiment_id,
        variant,
        metric,
        {{ experiment_moment_sums() }}
    from unit_metrics
    group by experiment_id, variant, metric
)

select
    config.experiment_id,
    config.variant,
    config.control_variant,
    metrics.metric,
    metrics.is_binary,
    config.expected_share,
    coalesce(excluded.excluded_units, 0) as excluded_units,
    coalesce(sums.n_units, 0) as n_units,
    coalesce(sums.sum_y, 0) as sum_y,
    coalesce(sums.sum_y2, 0) as sum_y2,
    coalesce(sums.sum_x, 0) as sum_x,
    coalesce(sums.sum_x2, 0) as sum_x2,
    coalesce(sums.sum_xy, 0) as sum_xy
from config
inner join metrics
    on config.experiment_id = metrics.experiment_id
left join sums
    on config.experiment_id = sums.experiment_id
    and config.variant = sums.variant
    and metrics.metric = sums.metric
left join excluded
    on config.experiment_id = excluded.experiment_id
