"""Unit tests for python_udfs/ml/training.py: the expected-orders model and the window-to-window ratio."""

import numpy as np
import pandas as pd
import pytest
from test_ml_propensity import synthetic_snapshots

from python_udfs.ml.training import _train_orders, window_to_window_ratio


def test_window_to_window_ratio_follows_the_same_customers():
    snapshots = pd.DataFrame(
        {
            "cutoff_at": ["2026-01-01"] * 2 + ["2026-04-01"] * 3,
            "customer_id": ["a", "b", "a", "b", "new"],
            "horizon_orders": [4, 6, 2, 3, 50],  # the newcomer's 50 orders do not count
        }
    )
    assert window_to_window_ratio(snapshots) == pytest.approx(5 / 10)
    assert window_to_window_ratio(snapshots[snapshots["cutoff_at"] == "2026-01-01"]) is None


def test_orders_model_predicts_counts_and_their_total():
    rng = np.random.default_rng(3)
    train, valid = synthetic_snapshots(4000, "2026-01-01", 1), synthetic_snapshots(2000, "2026-02-01", 2)
    for frame in (train, valid):
        frame["horizon_orders"] = rng.poisson(3 * frame["true_probability"])
    booster, metrics = _train_orders(train, valid)
    assert abs(metrics["orders_total_rel_error"]) < 0.1
    assert metrics["orders_actual_total"] == valid["horizon_orders"].sum()
    assert metrics["orders_mae"] < np.abs(valid["horizon_orders"] - valid["horizon_orders"].mean()).mean()
    assert booster.best_iteration >= 0
