"""How many training snapshots, how far apart, with what label window: chosen from the history available.

The predictive models learn from customer features at past cut-offs, each
labelled with what the customer did in the following label window. One
default configuration serves every data set; the plan follows from the days
of order history before as_of and the number of customers:

- the label window is the scoring horizon when the history holds, after the
  earliest cut-off's minimum feature history, two such windows (one to train
  on, one to validate on). Otherwise it is the longest whole number of months
  (of weeks below a month) that fits twice: CDNOW's nine months and 273-day
  horizon give 90-day labels.
- the latest cut-off is as_of minus one label window (its labels close by
  as_of); it validates. The training cut-offs start one more label window
  back, so no training label window overlaps the validation window: the
  split stays temporal. They step back by the label window (no overlap)
  while that gives the target number of rows; on a short history or with few
  customers the step shrinks, a week at a time, and the cut-offs overlap, so
  there are more examples (the Complete Journey's 2,447 households: 14 days).
- more snapshots when history allows, up to a row budget that keeps training
  time bounded (100,000 contacts: four snapshots, as before).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

MONTH_DAYS = 30
WEEK_DAYS = 7


@dataclass(frozen=True)
class SnapshotPlan:
    """label_days: label window; step_days: days between training cut-offs; snapshot_count: cut-offs in all,
    the validation one included; history_days and customers: what the plan was chosen from."""

    label_days: int
    step_days: int
    snapshot_count: int
    history_days: int
    customers: int
    horizon_days: int
    min_feature_days: int

    def cutoff_offsets(self) -> list[int]:
        """Days before as_of of each cut-off, latest (validation) first."""
        return [self.label_days] + [2 * self.label_days + self.step_days * k for k in range(self.snapshot_count - 1)]

    @property
    def overlapping(self) -> bool:
        return self.step_days < self.label_days

    def as_dict(self) -> dict:
        return {**asdict(self), "overlapping": self.overlapping}


def _label_days(room: int, horizon_days: int) -> int:
    """The horizon if two windows fit in room; else the longest whole months (weeks, days) that fit twice."""
    if room >= 2 * horizon_days:
        return horizon_days
    half = room // 2
    for unit in (MONTH_DAYS, WEEK_DAYS):
        if half >= unit:
            return half // unit * unit
    return max(1, half)


def plan_snapshots(
    history_days: int | None,
    customers: int,
    horizon_days: int,
    *,
    min_feature_days: int = 90,
    target_rows: int = 20_000,
    max_rows: int = 600_000,
    max_snapshots: int = 24,
) -> SnapshotPlan:
    """The training snapshots for history_days of orders before as_of and this many customers.

    min_feature_days: history the earliest cut-off keeps before it (at most a third of the history).
    target_rows: overlap the cut-offs (a step shorter than the label window) until the snapshots hold about
    this many rows (customers x snapshots). max_rows, max_snapshots: more snapshots when history allows, up to
    these. Without any history (no orders yet), two snapshots one horizon apart.
    """
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}")
    customers = max(int(customers), 0)
    if not history_days or history_days <= 0:
        return SnapshotPlan(horizon_days, horizon_days, 2, 0, customers, horizon_days, 0)
    history_days = int(history_days)
    feature_days = min(min_feature_days, history_days // 3)
    label = min(horizon_days, _label_days(history_days - feature_days, horizon_days))
    # days over which training cut-offs can step back, after the validation and the first training window
    span = max(history_days - feature_days - 2 * label, 0)

    def count(step: int) -> int:
        return 2 + span // step

    steps = [label, *range((label - 1) // WEEK_DAYS * WEEK_DAYS, 0, -WEEK_DAYS)]
    step = next((s for s in steps if count(s) * customers >= target_rows), steps[-1])
    budget = max(2, max_rows // customers) if customers else max_snapshots
    return SnapshotPlan(
        label_days=label,
        step_days=step,
        snapshot_count=max(2, min(count(step), max_snapshots, budget)),
        history_days=history_days,
        customers=customers,
        horizon_days=horizon_days,
        min_feature_days=feature_days,
    )
