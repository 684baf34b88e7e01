"""Purchase propensity (and churn): gradient boosting with temporal validation.

The older training snapshots select the number of boosting rounds against the
latest snapshot (a later time than anything they hold), which is split in two
by customer. The deployed models are then refitted with the latest snapshot
too, cross-fitted by the two halves, so that every reported metric,
calibration error included, is measured on customers the scoring model and its
calibration never saw (train_classifier says how).

Calibration is Platt's: a logistic regression on the booster's log-odds. It is
strictly increasing, so it keeps the booster's ranking (AUC) and every
distinct score, and deciles stay tenths. Isotonic regression, measured on the
same split, was no better calibrated out of sample, but it maps thousands of
scores onto a few dozen steps: on CDNOW whole deciles came out empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xgboost as xgb
from scipy.special import expit, logit
from sklearn.linear_model import LogisticRegression

from python_udfs.ml.metrics import classification_metrics, recency_baseline_auc

FEATURES = [
    "order_count",
    "orders_90d",
    "orders_180d",
    "recency_days",
    "monetary_value",
    "average_order_value",
    "mean_days_between_orders",
    "tenure_days",
    "emails_delivered_30d",
    "emails_opened_30d",
    "emails_clicked_30d",
    "open_rate_30d",
    "click_rate_30d",
    "emails_delivered_90d",
    "emails_opened_90d",
    "emails_clicked_90d",
    "open_rate_90d",
    "click_rate_90d",
    "web_sessions_30d",
    "product_views_30d",
    "carts_30d",
    "days_since_last_open",
    "days_since_last_click",
    "days_since_last_web_event",
]

PARAMS = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "max_depth": 4,
    "learning_rate": 0.1,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "min_child_weight": 5,
    "reg_lambda": 1.0,
    "tree_method": "hist",
    "nthread": 2,
    "seed": 7,
}


def feature_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """The model's inputs: the feature columns plus days since last open/click/visit (NaN when never)."""
    out = pd.DataFrame(index=frame.index)
    cutoff = pd.to_datetime(frame["cutoff_at"])
    for name, column in (
        ("days_since_last_open", "last_open_at"),
        ("days_since_last_click", "last_click_at"),
        ("days_since_last_web_event", "last_web_event_at"),
    ):
        out[name] = (cutoff - pd.to_datetime(frame[column])).dt.total_seconds() / 86_400
    for name in FEATURES:
        if name not in out:
            out[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    return out[FEATURES]


@dataclass(frozen=True)
class SigmoidCalibrator:
    """p = sigmoid(slope * log-odds(raw) + intercept), fitted by logistic regression (Platt scaling)."""

    slope: float = 1.0
    intercept: float = 0.0

    @staticmethod
    def _log_odds(raw: np.ndarray) -> np.ndarray:
        return logit(np.clip(np.asarray(raw, dtype=float), 1e-7, 1 - 1e-7))

    @classmethod
    def fit(cls, raw: np.ndarray, y: np.ndarray) -> SigmoidCalibrator:
        """The identity when y holds one class only: nothing to calibrate against."""
        if len(np.unique(y)) < 2:
            return cls()
        lr = LogisticRegression(C=np.inf).fit(cls._log_odds(raw).reshape(-1, 1), np.asarray(y, dtype=int))
        return cls(float(lr.coef_[0, 0]), float(lr.intercept_[0]))

    def predict(self, raw: np.ndarray) -> np.ndarray:
        return expit(self.slope * self._log_odds(raw) + self.intercept)


@dataclass
class TrainedClassifier:
    """booster is the selection model (older snapshots only); refits are the deployed models (see train_classifier).

    refits defaults to empty so that artifacts saved before refits existed still load and score with booster.
    """

    booster: xgb.Booster
    calibrator: SigmoidCalibrator
    features: list[str]
    params: dict
    best_iteration: int
    metrics: dict = field(default_factory=dict)
    importance: dict = field(default_factory=dict)
    refits: tuple[xgb.Booster, ...] = ()

    def raw(self, frame: pd.DataFrame) -> np.ndarray:
        return self.raw_of_features(feature_matrix(frame))

    def raw_of_features(self, features: pd.DataFrame) -> np.ndarray:
        """raw() of feature_matrix's result, for a caller that scores several models on the same rows."""
        matrix = xgb.DMatrix(features)
        boosters = self.refits or (self.booster,)
        return np.mean([b.predict(matrix, iteration_range=(0, self.best_iteration + 1)) for b in boosters], axis=0)

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return self.calibrator.predict(self.raw(frame))

    def predict_features(self, features: pd.DataFrame) -> np.ndarray:
        return self.calibrator.predict(self.raw_of_features(features))


def _holdout_half(frame: pd.DataFrame) -> np.ndarray:
    """A stable half of the customers (by a hash of customer_id): the measurement half."""
    ids = frame["customer_id"].astype(str) if "customer_id" in frame else pd.Series(frame.index.astype(str))
    return pd.util.hash_pandas_object(ids.reset_index(drop=True), index=False).to_numpy() % 2 == 1


def gain_importance(boosters: list[xgb.Booster]) -> dict[str, float]:
    """Share of total gain per feature, summed over the boosters."""
    gain: dict[str, float] = {}
    for booster in boosters:
        for name, value in booster.get_score(importance_type="gain").items():
            gain[name] = gain.get(name, 0.0) + value
    total = sum(gain.values()) or 1.0
    return {k: round(v / total, 4) for k, v in sorted(gain.items(), key=lambda kv: -kv[1])}


def train_classifier(
    train: pd.DataFrame, valid: pd.DataFrame, label: str, rounds: int = 1000, recency_sign: int = -1
) -> TrainedClassifier:
    """Select on the older snapshots, then refit on the latest one too, cross-fitted by customer halves.

    The latest snapshot (valid) is the closest to the customers scored, so the deployed models learn from it:
    1. Selection: boost on train, early-stopped on the tune half of valid: the number of rounds.
    2. Refits with that many rounds: one on train + tune half, one on train + measure half. Each scores the
       half it did not see, so every row of valid gets an out-of-sample score.
    3. Deployed: the mean of the two refits, calibrated on all of valid's out-of-sample scores.
    The metrics are measured on the measure half alone: scored by the refit that never saw it, calibrated by a
    calibration fitted on the tune half. The measure half chose nothing.

    recency_sign is -1 when recent customers are the positives (purchase), +1 when they are the negatives (churn),
    for the recency-only baseline.
    """
    measure = _holdout_half(valid)
    tune, test = valid[~measure], valid[measure]
    x_train, x_tune, x_test = feature_matrix(train), feature_matrix(tune), feature_matrix(test)
    y_train = train[label].astype(int).to_numpy()
    y_tune, y_test = tune[label].astype(int).to_numpy(), test[label].astype(int).to_numpy()
    d_train = xgb.DMatrix(x_train, label=y_train)
    d_tune, d_test = xgb.DMatrix(x_tune, label=y_tune), xgb.DMatrix(x_test)
    selection = xgb.train(
        PARAMS, d_train, num_boost_round=rounds, evals=[(d_tune, "tune")], early_stopping_rounds=40,
        verbose_eval=False,
    )  # fmt: skip
    best = int(selection.best_iteration)

    def refit(x_extra: pd.DataFrame, y_extra: np.ndarray) -> xgb.Booster:
        rows = xgb.DMatrix(pd.concat([x_train, x_extra]), label=np.concatenate([y_train, y_extra]))
        return xgb.train(PARAMS, rows, best + 1)

    with_tune, with_test = refit(x_tune, y_tune), refit(x_test, y_test)
    raw_test, raw_tune = with_tune.predict(d_test), with_test.predict(d_tune)
    measured = SigmoidCalibrator.fit(raw_tune, y_tune).predict(raw_test)
    calibrator = SigmoidCalibrator.fit(np.concatenate([raw_tune, raw_test]), np.concatenate([y_tune, y_test]))
    params = {**PARAMS, "calibration": "platt", "refit": "cross-fitted on the latest snapshot"}
    model = TrainedClassifier(selection, calibrator, list(FEATURES), params, best, refits=(with_tune, with_test))
    recency = test["recency_days"].to_numpy(dtype=float)
    model.metrics = {
        **classification_metrics(y_test, measured),
        "uncalibrated_auc": classification_metrics(y_test, raw_test)["auc"],
        "selection_model_auc": classification_metrics(y_test, selection.predict(d_test, iteration_range=(0, best + 1)))[
            "auc"
        ],
        "recency_baseline_auc": recency_baseline_auc(y_test, recency)
        if recency_sign < 0
        else recency_baseline_auc(1 - y_test, recency),
        "calibration_slope": calibrator.slope,
        "calibration_intercept": calibrator.intercept,
        "best_iteration": best,
        "train_rows": len(train),
        "tune_rows": len(tune),
    }
    model.importance = gain_importance([with_tune, with_test])
    return model


def deciles(p: np.ndarray) -> np.ndarray:
    """1 (lowest) to 10 (highest) by rank; ties share a decile."""
    lowest_rank = pd.Series(p).rank(method="min").to_numpy()
    return np.clip(np.floor((lowest_rank - 1) / max(len(p), 1) * 10) + 1, 1, 10).astype(int)
