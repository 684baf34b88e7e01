-- One row per day: the time spine MetricFlow joins to for metric_time and
-- its coarser grains (week, month, quarter, year). Wide enough for any
-- order, send or experiment the project holds.
with

days as (
    select cast(range as date) as date_day
    from range(date '2000-01-01', date '2041-01-01', interval 1 day)
)

select date_day
from days
