{#-
    The sufficient statistics of int_experiment_arm_stats, cumulated by
    exposure date: on each day, every unit exposed on or before it. One row per
    experiment, variant, metric and day from the first exposure to as_of_date.
-#}

with

arms as (
    select
        experiment_id,
        variant,
        control_variant,
        metric,
        is_binary,
        expected_share,
        excluded_units
    from {{ ref('int_experiment_arm_stats') }}
),

unit_metrics as (
    select * from {{ ref('int_experiment_unit_metrics') }}
),

daily_sums as (
    select
        experiment_id,
        variant,
        metric,
        cast(exposed_at as date) as exposure_date,
        {{ experiment_moment_sums() }}
    from unit_metrics
    group by experiment_id, variant, metric, cast(exposed_at as date)
),

spine_days as (
    select
        experiment_id,
        {{ explode_series(
            'min(exposure_date)',
            "cast(" ~ dbt.dateadd('microsecond', '-1', as_of_timestamp()) ~ " as date)",
            '1 day'
        ) }} as result_day
    from daily_sums
    group by experiment_id
),

spine as (
    select
        experiment_id,
        cast(result_day as date) as result_date
    from spine_days
),

arm_days as (
    select
        arms.*,
        spine.result_date,
        coalesce(daily_sums.n_units, 0) as day_units,
        coalesce(daily_sums.sum_y, 0) as day_sum_y,
        coalesce(daily_sums.sum_y2, 0) as day_sum_y2,
        coalesce(daily_sums.sum_x, 0) as day_sum_x,
        coalesce(daily_sums.sum_x2, 0) as day_sum_x2,
        coalesce(daily_sums.sum_xy, 0) as day_sum_xy
    from arms
    inner join spine
        on arms.experiment_id = spine.experiment_id
    left join daily_sums
        on arms.experiment_id = daily_sums.experiment_id
        and arms.variant = daily_sums.variant
        and arms.metric = daily_sums.metric
        and spine.result_date = daily_sums.exposure_date
)

select
    experiment_id,
    variant,
    control_variant,
    metric,
    is_binary,
    expected_share,
    excluded_units,
    result_date,
    cast(sum(day_units) over cumulative as bigint) as n_units,
    cast(sum(day_sum_y) over cumulative as double) as sum_y,
    cast(sum(day_sum_y2) over cumulative as double) as sum_y2,
    cast(sum(day_sum_x) over cumulative as double) as sum_x,
    cast(sum(day_sum_x2) over cumulative as double) as sum_x2,
    cast(sum(day_sum_xy) over cumulative as double) as sum_xy
from arm_days
window cumulative as (
    partition by experiment_id, variant, metric order by result_date
    rows between unbounded preceding and current row
)
