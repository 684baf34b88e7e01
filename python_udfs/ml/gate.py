"""The quality gate of every trained model.

A retrain records every model it trains in the registry (ml_model_runs). A run
that fails its gate is recorded with is_promoted = false and the reason
(gate_failure_reason); scoring keeps using the last promoted version of that
model and says so (python_udfs/registry.py current_runs). Nothing is ever
scored with a model that never passed: with no passing propensity model
scoring stops with a message that says what history was found, what each model
needs, and what to do; without a passing churn, clv or clusters model those
scores are null, with the reason.

The gate, per model (thresholds from the vars ml_gate_*):
- propensity, churn (classifiers): at least min_training_rows training rows;
  at least min_positives positives and as many negatives in the training rows
  and in the validation snapshot (churn: among past buyers); validation AUC
  not null and above min_auc; validation scores not all equal.
- clv (spend and expected orders): at least min_training_rows training rows;
  at least min_positives customers with an order in the label window in the
  training rows and in the validation snapshot; predicted orders not all equal.
- clusters: at least two behavioural clusters among today's customers.
- recommendations: on the holdout purchases, NDCG@K not below the popularity
  baseline's; when there is no holdout to measure on, the fitted model must not
  be empty while there were interactions to learn from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

PREDICTIVE_MODELS = ("propensity", "churn", "clv", "clusters")


@dataclass(frozen=True)
class GateThresholds:
    """The vars ml_gate_min_training_rows, ml_gate_min_positives and ml_gate_min_auc."""

    min_training_rows: int = 100
    min_positives: int = 10
    min_auc: float = 0.5

    @classmethod
    def from_config(cls, config: dict) -> GateThresholds:
        """From dbt model config (values may arrive as strings); missing keys keep the defaults."""
        default = cls()
        return cls(
            min_training_rows=int(config.get("min_training_rows") or default.min_training_rows),
            min_positives=int(config.get("min_positives") or default.min_positives),
            min_auc=float(config.get("min_auc") if config.get("min_auc") not in (None, "") else default.min_auc),
        )

    def needs(self) -> str:
        """What each model needs, in one paragraph for error messages."""
        return (
            f"propensity needs at least {self.min_training_rows} training rows (customers x older cut-offs), "
            f"{self.min_positives} customers who bought in a label window and {self.min_positives} who did not, "
            f"both in training and in the latest (validation) cut-off, and a validation AUC above {self.min_auc}; "
            f"churn needs the same among past buyers (some who bought again, some who did not); "
            f"clv needs {self.min_positives} customers with an order in a label window, in training and in "
            "validation; all three need at least two cut-offs with customers (the latest validates, the older "
            "ones train), one label window apart (vars ml_gate_min_training_rows, ml_gate_min_positives, "
            "ml_gate_min_auc)"
        )


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _count_check(what: str, found: int, needed: int) -> str | None:
    return None if found >= needed else f"{found:,} {what} (needs {needed:,})"


def classifier_gate(
    y_train: np.ndarray, y_valid: np.ndarray, thresholds: GateThresholds, auc: float | None = None,
    valid_scores: np.ndarray | None = None,
) -> str | None:  # fmt: skip
    """None when a classifier passes; else every reason it fails, joined by '; '.

    Called twice: before training with the labels only (auc and valid_scores None: can it learn at all?), and
    after with the validation AUC and scores.
    """
    y_train, y_valid = np.asarray(y_train, dtype=int), np.asarray(y_valid, dtype=int)
    checks = [
        _count_check("training rows", len(y_train), thresholds.min_training_rows),
        _count_check("positives in training", int(y_train.sum()), thresholds.min_positives),
        _count_check("negatives in training", int(len(y_train) - y_train.sum()), thresholds.min_positives),
        _count_check("positives in validation", int(y_valid.sum()), thresholds.min_positives),
        _count_check("negatives in validation", int(len(y_valid) - y_valid.sum()), thresholds.min_positives),
    ]
    if valid_scores is not None:
        if _is_missing(auc):
            checks.append("validation AUC is null (one class only in the validation half)")
        elif auc <= thresholds.min_auc:
            checks.append(f"validation AUC {auc:.3f} not above {thresholds.min_auc} (var ml_gate_min_auc)")
        if len(valid_scores) and np.nanstd(np.asarray(valid_scores, dtype=float)) == 0:
            checks.append("every validation score is the same")
    failures = [check for check in checks if check]
    return "; ".join(failures) or None


def regression_gate(
    orders_train: np.ndarray, orders_valid: np.ndarray, thresholds: GateThresholds,
    valid_predictions: np.ndarray | None = None,
) -> str | None:  # fmt: skip
    """None when the CLV / expected-orders model passes; else its reasons. orders_*: orders in the label window."""
    orders_train, orders_valid = np.asarray(orders_train, dtype=float), np.asarray(orders_valid, dtype=float)
    checks = [
        _count_check("training rows", len(orders_train), thresholds.min_training_rows),
        _count_check("buyers in the training label windows", int((orders_train > 0).sum()), thresholds.min_positives),
        _count_check("buyers in the validation label window", int((orders_valid > 0).sum()), thresholds.min_positives),
    ]
    constant = valid_predictions is not None and len(valid_predictions) > 0
    if constant and np.nanstd(np.asarray(valid_predictions, dtype=float)) == 0:
        checks.append("every validation prediction of orders is the same")
    failures = [check for check in checks if check]
    return "; ".join(failures) or None


def clusters_gate(segments: pd.Series) -> str | None:
    """None when today's customers fall into at least two clusters."""
    found = int(pd.Series(segments).nunique())
    return None if found >= 2 else f"{found} behavioural cluster among today's customers (needs 2)"


def recommender_gate(metrics: dict, interactions: int) -> str | None:
    """None when the recommender passes: not worse than popularity on the holdout, or non-empty when unmeasured."""
    ndcg_key = next((key for key in metrics if key.startswith("ndcg@")), None)
    if metrics.get("users") and ndcg_key:
        ndcg, baseline = metrics[ndcg_key], (metrics.get("popularity") or {}).get(ndcg_key)
        if not _is_missing(baseline) and (_is_missing(ndcg) or ndcg < baseline):
            return f"{ndcg_key} {ndcg:.4f} on the holdout purchases is below the popularity baseline's {baseline:.4f}"
        return None
    if interactions > 0 and not metrics.get("items_in_collaborative_model"):
        return f"the fitted model holds no items although {interactions:,} interactions were given"
    return None


def history_summary(current: pd.DataFrame, snapshots: pd.DataFrame, plan: dict | None) -> dict:
    """What history the models had: days, completed orders, customers and buyers, cut-offs with customers."""
    first = pd.to_datetime(current["first_order_at"]).min() if "first_order_at" in current else pd.NaT
    last = pd.to_datetime(current["last_order_at"]).max() if "last_order_at" in current else pd.NaT
    as_of = pd.to_datetime(current["cutoff_at"]).max() if len(current) else pd.NaT
    cutoffs = pd.to_datetime(snapshots["cutoff_at"]).nunique() if len(snapshots) else 0
    orders = pd.to_numeric(current.get("order_count", pd.Series(dtype=float)), errors="coerce").fillna(0)
    return {
        "first_order_at": None if pd.isna(first) else str(first.date()),
        "last_order_at": None if pd.isna(last) else str(last.date()),
        "as_of": None if pd.isna(as_of) else str(as_of.date()),
        "history_days": None if pd.isna(first) or pd.isna(as_of) else int((as_of - first).days),
        "completed_orders": int(orders.sum()),
        "customers": len(current),
        "buyers": int((orders > 0).sum()),
        "cutoffs_with_customers": int(cutoffs),
        "planned_cutoffs": (plan or {}).get("snapshot_count"),
        "label_days": (plan or {}).get("label_days"),
    }


def describe_history(history: dict) -> str:
    """The history found, in words, for gate failure reasons and errors."""
    if history.get("history_days") is not None:
        days = f"{history['history_days']:,} days of completed orders ({history['first_order_at']} to as_of " \
               f"{history['as_of']})"  # fmt: skip
        if history.get("last_order_at"):
            days += f", the last on {history['last_order_at']}"
    elif history["completed_orders"]:
        days = f"as_of {history.get('as_of')}"
    else:
        days = f"no completed order before as_of {history.get('as_of')} (only orders with status completed count)"
    label = f", label window {history['label_days']} days" if history.get("label_days") else ""
    return (
        f"history found: {days}, {history['completed_orders']:,} completed orders from {history['buyers']:,} of "
        f"{history['customers']:,} customers, {history['cutoffs_with_customers']} training cut-off(s) with "
        f"customers{label}"
    )
