"""Unit tests for python_udfs/ml/snapshots.py: how many training snapshots, how far apart, what label window."""

import pytest

from python_udfs.ml.snapshots import plan_snapshots


def test_long_history_and_many_customers_keep_horizon_long_windows_within_the_row_budget():
    """100,000 generated contacts over a year: four snapshots one horizon apart, as before plans existed."""
    plan = plan_snapshots(365, 128_833, 30)
    assert (plan.label_days, plan.step_days, plan.snapshot_count) == (30, 30, 4)
    assert plan.cutoff_offsets() == [30, 60, 90, 120]
    assert not plan.overlapping


def test_history_too_short_for_the_horizon_labels_whole_months_that_fit_twice():
    """CDNOW: nine months before as_of, a 273-day horizon: 90-day labels, two snapshots (47,000 rows)."""
    plan = plan_snapshots(272, 23_570, 273)
    assert (plan.label_days, plan.step_days, plan.snapshot_count) == (90, 90, 2)
    assert plan.cutoff_offsets() == [90, 180]
    assert plan.min_feature_days == 90


def test_short_history_with_few_customers_overlaps_cutoffs_for_more_examples():
    """The Complete Journey: nine months, 2,447 households. One horizon apart gives 6 snapshots (14,700 rows),
    under the target: the cut-offs come 14 days apart with 30-day labels."""
    plan = plan_snapshots(272, 2_447, 30)
    assert (plan.label_days, plan.step_days, plan.snapshot_count) == (30, 14, 10)
    assert plan.overlapping
    assert plan.snapshot_count * plan.customers >= 20_000
    # fewer households: the step shrinks to the week
    small = plan_snapshots(272, 500, 30)
    assert small.step_days == 7
    assert small.snapshot_count > plan.snapshot_count


@pytest.mark.parametrize("history", [0, None])
def test_no_history_falls_back_to_two_snapshots_one_horizon_apart(history):
    plan = plan_snapshots(history, 10, 30)
    assert plan.cutoff_offsets() == [30, 60]


def test_more_snapshots_when_history_allows():
    counts = [plan_snapshots(days, 5_000, 30).snapshot_count for days in range(150, 1100, 30)]
    assert counts == sorted(counts)
    assert counts[0] < counts[-1] == 24  # up to max_snapshots
    assert plan_snapshots(2_000, 200_000, 30).snapshot_count == 3  # the row budget: 600,000 rows


@pytest.mark.parametrize("horizon", [7, 30, 90, 273])
@pytest.mark.parametrize("customers", [0, 40, 2_447, 23_570, 500_000])
def test_every_plan_is_temporal_and_fits_the_history(horizon, customers):
    for history in [1, 5, 14, 40, 100, 200, 272, 365, 800]:
        plan = plan_snapshots(history, customers, horizon)
        offsets = plan.cutoff_offsets()
        assert len(offsets) == plan.snapshot_count >= 2
        assert 1 <= plan.label_days <= horizon
        assert 1 <= plan.step_days <= plan.label_days
        # the latest label window closes by as_of; training label windows close by the validation cut-off
        assert offsets[0] == plan.label_days
        assert all(days >= offsets[0] + plan.label_days for days in offsets[1:])
        assert offsets == sorted(set(offsets))
        if history >= 14:
            # the earliest cut-off keeps its minimum feature history
            assert offsets[-1] <= history - plan.min_feature_days


def test_a_horizon_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        plan_snapshots(300, 100, 0)
