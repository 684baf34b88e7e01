"""The programme's monthly holdout statistics (int_programme_impact_computed) against scipy.

The Python model hands int_programme_arm_stats_monthly to compute_results; this
checks that per-month sums of that shape (arms holdout / personalized, a
group_month key) give scipy's Welch difference and 95% interval month by month.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from python_udfs.experiments import compute_results


def monthly_arms(units: dict[tuple[str, str], np.ndarray]) -> pd.DataFrame:
    """The rows int_programme_arm_stats_monthly writes, from unit-level revenue per (month, arm)."""
    rows = []
    for (month, variant), y in units.items():
        rows.append(
            {
                "experiment_id": "global_holdout",
                "variant": variant,
                "control_variant": "holdout",
                "metric": "revenue",
                "is_binary": False,
                "expected_share": 0.05 if variant == "holdout" else 0.95,
                "excluded_units": 0,
                "group_month": month,
                "n_units": len(y),
                "sum_y": y.sum(),
                "sum_y2": (y * y).sum(),
                "sum_x": 0.0,
                "sum_x2": 0.0,
                "sum_xy": 0.0,
            }
        )
    return pd.DataFrame(rows)


def test_monthly_holdout_difference_and_interval_match_scipy_welch():
    rng = np.random.default_rng(17)
    units = {}
    for month, lift in (("2026-01-01", 0.0), ("2026-02-01", 5.0)):
        units[(month, "holdout")] = rng.exponential(20.0, 150) * rng.binomial(1, 0.2, 150)
        units[(month, "personalized")] = rng.exponential(20.0 + lift, 2500) * rng.binomial(1, 0.22, 2500)
    results = compute_results(monthly_arms(units), confidence=0.95)
    treated = results.loc[~results["is_control"]].set_index("group_month")
    for month in ("2026-01-01", "2026-02-01"):
        personalized, holdout = units[(month, "personalized")], units[(month, "holdout")]
        test = stats.ttest_ind(personalized, holdout, equal_var=False)
        interval = test.confidence_interval(0.95)
        row = treated.loc[month]
        assert row["absolute_lift"] == pytest.approx(personalized.mean() - holdout.mean(), rel=1e-9)
        assert row["ci_lower"] == pytest.approx(interval.low, rel=1e-9)
        assert row["ci_upper"] == pytest.approx(interval.high, rel=1e-9)
        assert row["p_value"] == pytest.approx(test.pvalue, rel=1e-9)


def test_hand_computed_interval_for_a_tiny_month():
    # holdout 0, 10, 20 (mean 10, var 100); personalized 10, 20, 30, 40 (mean 25, var 166.67)
    units = {("2026-01-01", "holdout"): np.array([0.0, 10.0, 20.0])}
    units[("2026-01-01", "personalized")] = np.array([10.0, 20.0, 30.0, 40.0])
    row = compute_results(monthly_arms(units)).query("not is_control").iloc[0]
    se = np.sqrt(100 / 3 + (500 / 3) / 4)  # sqrt(33.33 + 41.67) = sqrt(75)
    df = 75.0**2 / ((100 / 3) ** 2 / 2 + (500 / 12) ** 2 / 3)  # Welch-Satterthwaite: 4.959...
    half = stats.t.ppf(0.975, df) * se
    assert row["absolute_lift"] == pytest.approx(15.0)
    assert row["ci_lower"] == pytest.approx(15.0 - half)
    assert row["ci_upper"] == pytest.approx(15.0 + half)
