-- Every assigned unit is counted in some arm of rpt_experiment_results and
-- of the last day of rpt_experiment_daily: a variant the configuration does
-- not declare is an arm of its own, never dropped. Returns the experiments
-- and metrics whose counts disagree.
with

units as (
    select
        experiment_id,
        metric,
        count(*) as assigned_units
    from {{ ref('fct_experiment_unit_metrics') }}
    group by experiment_id, metric
),

results as (
    select
        experiment_id,
        metric,
        sum(n_units) as result_units
    from {{ ref('rpt_experiment_results') }}
    group by experiment_id, metric
),

daily_results as (
    select * from {{ ref('rpt_experiment_daily') }}
),

last_day as (
    select max(result_date) as result_date
    from daily_results
),

daily as (
    select
        daily_results.experiment_id,
        daily_results.metric,
        sum(daily_results.n_units) as daily_units
    from daily_results
    inner join last_day
        on daily_results.result_date = last_day.result_date
    group by daily_results.experiment_id, daily_results.metric
)

select
    units.experiment_id,
    units.metric,
    units.assigned_units,
    results.result_units,
    daily.daily_units
from units
left join results
    on units.experiment_id = results.experiment_id
    and units.metric = results.metric
left join daily
    on units.experiment_id = daily.experiment_id
    and units.metric = daily.metric
where results.result_units is distinct from units.assigned_units
    or daily.daily_units is distinct from units.assigned_units
