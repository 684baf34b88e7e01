-- One row per day: the time spine MetricFlow joins to for metric_time and
-- its coarser grains (week, month, quarter, year). Wide enough for any
-- order, send or experiment the project holds.
with

days as (
    select {{ explode_series("date '2000-01-01'", "date '2040-12-31'", '1 day') }} as day_start
)

select cast(day_start as date) as date_day
from days
