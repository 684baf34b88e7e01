"""Model quality metrics recorded in the model registry."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score


def expected_calibration_error(y_true: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean prediction| over equal-width probability bins, weighted by count."""
    y_true, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.sum() * abs(y_true[mask].mean() - p[mask].mean())
    return float(total / len(p)) if len(p) else float("nan")


def lift_quality(y_true: np.ndarray, p: np.ndarray) -> float:
    """How much better than random the ranking finds the positives, over every audience size: 0 random, 1 perfect.

    The cumulative gains curve (share of positives reached against share of
    people targeted, best scores first) is compared with random targeting (the
    diagonal) and with perfect knowledge: (model area - random area) / (perfect
    area - random area), the accuracy ratio. Tied scores are targeted together
    (a straight segment). It equals 2 x AUC - 1, a lift reading of the same
    ranking; Braze reports its prediction quality on this 0..100% scale.
    NaN when one class is missing.
    """
    y_true, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    positives, n = y_true.sum(), len(y_true)
    if n == 0 or positives in (0, n):
        return float("nan")
    order = np.argsort(-p, kind="stable")
    scores, hits = p[order], y_true[order]
    ends = np.r_[np.flatnonzero(scores[1:] != scores[:-1]), n - 1]  # the last row of each tie group
    x = np.r_[0.0, (ends + 1) / n]
    y = np.r_[0.0, np.cumsum(hits)[ends] / positives]
    model_area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2))
    perfect_area = 1 - positives / n / 2
    return (model_area - 0.5) / (perfect_area - 0.5)


def classification_metrics(y_true: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """AUC, lift quality, log loss, Brier score and calibration error; AUC and lift quality are NaN with one class."""
    y_true, p = np.asarray(y_true, dtype=int), np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    both = len(np.unique(y_true)) == 2
    return {
        "auc": float(roc_auc_score(y_true, p)) if both else float("nan"),
        "lift_quality": lift_quality(y_true, p),
        "log_loss": float(log_loss(y_true, p, labels=[0, 1])),
        "brier": float(brier_score_loss(y_true, p)),
        "calibration_error": expected_calibration_error(y_true, p),
        "positive_rate": float(y_true.mean()) if len(y_true) else float("nan"),
        "n": len(y_true),
    }


def recency_baseline_auc(y_true: np.ndarray, recency_days: np.ndarray) -> float:
    """AUC of ranking by recency alone (more recent = more likely); never-buyers rank last."""
    y_true = np.asarray(y_true, dtype=int)
    if len(np.unique(y_true)) < 2:
        return float("nan")
    r = np.asarray(recency_days, dtype=float)
    score = -np.where(np.isnan(r), np.nanmax(r, initial=0) + 1e6, r)
    return float(roc_auc_score(y_true, score))


def population_stability_index(expected: np.ndarray, actual: np.ndarray, bins: int = 10) -> float:
    """PSI of actual against expected, on the expected sample's quantile bins (NaN is its own bin)."""
    expected, actual = np.asarray(expected, dtype=float), np.asarray(actual, dtype=float)
    finite = expected[~np.isnan(expected)]
    if len(finite) == 0:
        return 0.0
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))

    def shares(x: np.ndarray) -> np.ndarray:
        nan = np.isnan(x)
        counts = np.bincount(np.searchsorted(edges, x[~nan], side="right"), minlength=len(edges) + 1)
        counts = np.append(counts, nan.sum()).astype(float)
        return np.maximum(counts / max(len(x), 1), 1e-4)

    e, a = shares(expected), shares(actual)
    return float(np.sum((a - e) * np.log(a / e)))
