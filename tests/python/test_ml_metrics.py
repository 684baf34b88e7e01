import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from python_udfs.ml.metrics import (
    classification_metrics,
    expected_calibration_error,
    lift_quality,
    population_stability_index,
    recency_baseline_auc,
)

RNG = np.random.default_rng(3)


def test_calibration_error_is_zero_for_calibrated_bins_and_large_for_overconfident():
    p = np.repeat([0.1, 0.5, 0.9], 1000)
    y = np.concatenate([np.r_[np.ones(100), np.zeros(900)], np.r_[np.ones(500), np.zeros(500)],
                        np.r_[np.ones(900), np.zeros(100)]])  # fmt: skip
    assert expected_calibration_error(y, p) == pytest.approx(0.0, abs=1e-12)
    assert expected_calibration_error(y, np.where(p > 0.5, 0.99, 0.01)) > 0.05


def test_classification_metrics_match_sklearn_and_handle_one_class():
    y = RNG.random(500) < 0.3
    p = np.clip(y * 0.4 + RNG.random(500) * 0.6, 0, 1)
    m = classification_metrics(y, p)
    assert m["auc"] == pytest.approx(roc_auc_score(y, p))
    assert 0 <= m["brier"] <= 1
    assert np.isnan(classification_metrics(np.zeros(10), np.full(10, 0.2))["auc"])


def test_recency_baseline_ranks_recent_buyers_first_and_never_buyers_last():
    y = np.array([1, 1, 0, 0])
    recency = np.array([2.0, 10.0, 50.0, np.nan])
    assert recency_baseline_auc(y, recency) == 1.0
    assert recency_baseline_auc(np.array([0, 0, 1, 1]), recency) == 0.0


def test_psi_is_zero_for_the_same_distribution_and_grows_with_shift():
    x = RNG.normal(0, 1, 20_000)
    assert population_stability_index(x, RNG.normal(0, 1, 20_000)) < 0.01
    assert population_stability_index(x, RNG.normal(1, 1, 20_000)) > 0.25
    with_nan = np.where(RNG.random(20_000) < 0.5, np.nan, x)
    assert population_stability_index(x, with_nan) > 0.25


def test_lift_quality_is_zero_for_random_one_for_perfect_and_reads_auc_on_a_lift_scale():
    y = RNG.random(20_000) < 0.2
    assert lift_quality(y, y.astype(float)) == pytest.approx(1.0)
    assert lift_quality(y, -y.astype(float)) == pytest.approx(-1.0)
    assert lift_quality(y, RNG.random(len(y))) == pytest.approx(0.0, abs=0.03)
    assert lift_quality(y, np.zeros(len(y))) == pytest.approx(0.0)  # one tie group: random targeting
    # by hand: positives at ranks 1 and 3 of 4 -> gains (0,0) (.25,.5) (.5,.5) (.75,1) (1,1): area 0.625;
    # perfect area 1 - 0.5 / 2 = 0.75; (0.625 - 0.5) / (0.75 - 0.5) = 0.5
    assert lift_quality(np.array([1, 0, 1, 0]), np.array([0.9, 0.8, 0.7, 0.1])) == pytest.approx(0.5)
    noisy = y + RNG.normal(0, 1.5, len(y))
    tied = np.round(noisy)  # heavy ties
    for score in (noisy, tied):
        assert lift_quality(y, score) == pytest.approx(2 * roc_auc_score(y, score) - 1, abs=1e-9)
    assert np.isnan(lift_quality(np.ones(5), np.arange(5)))
