import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.metrics import roc_auc_score

from python_udfs.ml.metrics import expected_calibration_error
from python_udfs.ml.propensity import (
    FEATURES,
    SigmoidCalibrator,
    TrainedClassifier,
    deciles,
    feature_matrix,
    gain_importance,
    train_classifier,
)
from python_udfs.registry import model_version


def synthetic_snapshots(n: int, cutoff: str, seed: int) -> pd.DataFrame:
    """Customers whose chance to buy falls with recency and rises with engagement."""
    rng = np.random.default_rng(seed)
    c = pd.Timestamp(cutoff)
    recency = rng.exponential(60, n)
    opens = rng.poisson(2, n)
    frame = pd.DataFrame({name: rng.random(n) for name in FEATURES if not name.startswith("days_since")})
    frame["recency_days"] = recency
    frame["emails_opened_30d"] = opens
    frame["cutoff_at"] = c
    frame["last_open_at"] = c - pd.to_timedelta(rng.exponential(20, n), unit="D")
    frame["last_click_at"] = pd.NaT
    frame["last_web_event_at"] = c - pd.to_timedelta(rng.exponential(10, n), unit="D")
    logit = -1.0 - recency / 40 + 0.5 * opens
    frame["true_probability"] = 1 / (1 + np.exp(-logit))
    frame["purchased_in_horizon"] = rng.random(n) < frame["true_probability"]
    return frame


def test_feature_matrix_derives_days_since_and_keeps_missing_as_nan():
    frame = synthetic_snapshots(10, "2026-01-01", 0)
    x = feature_matrix(frame)
    assert list(x.columns) == FEATURES
    assert x["days_since_last_click"].isna().all()
    assert (x["days_since_last_open"] > 0).all()


def test_classifier_learns_the_signal_beats_recency_and_is_calibrated():
    train = pd.concat([synthetic_snapshots(3000, "2025-11-01", 1), synthetic_snapshots(3000, "2025-12-01", 2)])
    valid = synthetic_snapshots(3000, "2026-01-01", 3)
    model = train_classifier(train, valid, "purchased_in_horizon")
    # within a few points of the best any model can do: ranking by the true probability
    oracle = roc_auc_score(valid["purchased_in_horizon"], valid["true_probability"])
    assert model.metrics["auc"] > oracle - 0.04
    assert model.metrics["auc"] > model.metrics["recency_baseline_auc"]
    assert model.metrics["calibration_error"] < 0.05
    scored = synthetic_snapshots(2000, "2026-02-01", 4)
    p = model.predict(scored)
    assert ((p >= 0) & (p <= 1)).all()
    assert next(iter(model.importance)) in {"recency_days", "emails_opened_30d"}
    # scoring from features made once for several models (training._score_batch), or a subset of them, gives
    # each row the score of its own row
    features = feature_matrix(scored)
    assert np.array_equal(model.predict_features(features), p)
    some = scored["purchased_in_horizon"].to_numpy()
    assert 0 < some.sum() < len(scored)
    assert np.array_equal(model.predict_features(features[some]), model.predict(scored[some]))


def test_deciles_and_versions():
    assert list(deciles(np.arange(10))) == list(range(1, 11))
    assert set(deciles(np.zeros(5))) == {1}
    window = ("2025-11-01", "2026-01-01")
    v = model_version("propensity", {"a": 1}, ["x"], window)
    assert v == model_version("propensity", {"a": 1}, ["x"], window)
    assert v != model_version("propensity", {"a": 2}, ["x"], window)
    assert v.startswith("propensity-")


@pytest.mark.parametrize("label", ["purchased_in_horizon"])
def test_one_class_validation_still_trains(label):
    train = synthetic_snapshots(500, "2025-12-01", 5)
    valid = synthetic_snapshots(200, "2026-01-01", 6).assign(**{label: False})
    model = train_classifier(train, valid, label, rounds=20)
    assert np.isnan(model.metrics["auc"])


def test_sigmoid_calibrator_keeps_the_ranking_and_corrects_overconfidence():
    rng = np.random.default_rng(8)
    true_p = rng.uniform(0.02, 0.6, 20_000)
    y = rng.random(len(true_p)) < true_p
    # an overconfident score: the log-odds stretched by 2 and shifted
    raw = 1 / (1 + np.exp(-(2 * np.log(true_p / (1 - true_p)) + 0.5)))
    calibrator = SigmoidCalibrator.fit(raw, y)
    p = calibrator.predict(raw)
    assert calibrator.slope == pytest.approx(0.5, abs=0.05)
    assert np.array_equal(np.argsort(p, kind="stable"), np.argsort(raw, kind="stable"))
    assert len(np.unique(p)) == len(np.unique(raw))
    assert expected_calibration_error(y, p) < expected_calibration_error(y, raw) / 3
    assert expected_calibration_error(y, p) < 0.02


def test_sigmoid_calibrator_is_the_identity_without_both_classes():
    raw = np.array([0.1, 0.5, 0.9])
    calibrator = SigmoidCalibrator.fit(raw, np.zeros(3))
    assert calibrator.predict(raw) == pytest.approx(raw)


def test_deployed_model_learns_from_the_latest_snapshot_and_metrics_stay_out_of_sample():
    """Older snapshots buy by recency only; from the latest on, opens drive buying. Only the refits see that."""

    def regime(n, cutoff, seed, opens_weight):
        frame = synthetic_snapshots(n, cutoff, seed)
        logit = -1.0 - frame["recency_days"] / 40 + opens_weight * (frame["emails_opened_30d"] - 2)
        frame["purchased_in_horizon"] = np.random.default_rng(seed + 100).random(n) < 1 / (1 + np.exp(-logit))
        return frame

    train = pd.concat([regime(3000, "2025-11-01", 1, 0.0), regime(3000, "2025-12-01", 2, 0.0)])
    valid = regime(4000, "2026-01-01", 3, 1.0)
    future = regime(4000, "2026-02-01", 4, 1.0)
    model = train_classifier(train, valid, "purchased_in_horizon")
    assert len(model.refits) == 2
    assert all(b.num_boosted_rounds() == model.best_iteration + 1 for b in model.refits)
    assert model.metrics["n"] + model.metrics["tune_rows"] == len(valid)
    deployed = roc_auc_score(future["purchased_in_horizon"], model.predict(future))
    selection_only = TrainedClassifier(model.booster, model.calibrator, model.features, model.params,
                                       model.best_iteration)  # fmt: skip
    older_only = roc_auc_score(future["purchased_in_horizon"], selection_only.predict(future))
    assert deployed > older_only + 0.05
    assert model.metrics["auc"] > model.metrics["selection_model_auc"] + 0.05
    assert "emails_opened_30d" in list(model.importance)[:2]


def test_gain_importance_sums_gain_over_boosters_into_sorted_shares():
    frame = synthetic_snapshots(2000, "2026-01-01", 9)
    x = feature_matrix(frame)
    d = xgb.DMatrix(x, label=frame["purchased_in_horizon"].astype(int))
    boosters = [xgb.train({"max_depth": 2, "seed": s, "subsample": 0.7}, d, 20) for s in (1, 2)]
    shares = gain_importance(boosters)
    assert sum(shares.values()) == pytest.approx(1, abs=1e-3)
    assert list(shares.values()) == sorted(shares.values(), reverse=True)
    assert next(iter(shares)) in {"recency_days", "emails_opened_30d"}
    one = gain_importance(boosters[:1])
    assert set(one) <= set(shares)
    assert gain_importance([]) == {}
