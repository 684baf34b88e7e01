"""The learned ranker: one probability scale for "buy again" and "discover" candidates.

Candidates come from two places: the products a customer bought before
(buy again) and the best new products by collaborative, content and rule
scores (discover). Whether a bought product comes back, and when, differs per
product and per customer: groceries come back weekly, films never. The ranker
learns it from the data instead of a rule: a gradient-boosted classifier
(xgboost) trained on the shop's own recent past, where the candidates are
generated at a cut-off `label_days` before the training date and labelled by
what each customer bought in the days after it. Its features describe the
customer's own cycle with the product (orders, days since the last one, the
customer's mean gap and how due the product is), the product's (its repeat
rate among buyers who come back to its category, its typical gap, its
popularity and trend), the discovery scores and the customer's habits. Its
output is the probability that the customer buys the product in the next
`label_days`, so a product due again and a new discovery compete on one scale.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import roc_auc_score

FEATURES = [
    "is_bought",
    "own_orders",
    "own_recent",
    "own_days_since",
    "own_gap_days",
    "own_due",
    "item_repeat_rate",
    "item_gap_days",
    "item_due",
    "profile_position",
    "profile_weight",
    "collaborative",
    "content",
    "hybrid",
    "customer_confidence",
    "item_confidence",
    "log_buyers",
    "log_trend",
    "customer_items",
    "customer_orders",
    "customer_days_since",
    "customer_repeat_share",
]
XGB_PARAMS = {
    "objective": "binary:logistic",
    "eval_metric": "logloss",
    "eta": 0.1,
    "max_depth": 6,
    "min_child_weight": 5.0,
    "subsample": 0.8,
    "colsample_bytree": 0.8,
    "tree_method": "hist",
    "nthread": 2,
    "seed": 7,
}
MAX_ROUNDS = 300
EARLY_STOPPING = 20


def matrix(candidates: pd.DataFrame) -> np.ndarray:
    return candidates[FEATURES].to_numpy(np.float32)


def train(candidates: pd.DataFrame, labels: np.ndarray, min_positives: int, k: int) -> tuple[xgb.Booster | None, dict]:
    """Fit the classifier on labelled candidates; early-stopped on a fifth of the customers.

    Returns (None, info) when the labels hold too few purchases to learn from,
    or when on that fifth the ranker's top k is no better (NDCG@k) than the
    candidates' own scores (`value`): the recommender then ranks by its scores
    alone. Both NDCGs are recorded.
    """
    labels = np.asarray(labels, dtype=np.float32)
    info = {"rows": len(labels), "positives": int(labels.sum()), "customers": int(candidates["u"].nunique())}
    if labels.sum() < min_positives or labels.sum() == len(labels):
        return None, {**info, "used": False}
    customers = np.sort(candidates["u"].unique())
    valid_customers = np.random.default_rng(7).choice(customers, max(1, len(customers) // 5), replace=False)
    valid = candidates["u"].isin(valid_customers).to_numpy()
    x = matrix(candidates)
    dtrain = xgb.DMatrix(x[~valid], label=labels[~valid], feature_names=FEATURES)
    dvalid = xgb.DMatrix(x[valid], label=labels[valid], feature_names=FEATURES)
    booster = xgb.train(XGB_PARAMS, dtrain, MAX_ROUNDS, evals=[(dvalid, "valid")],
                        early_stopping_rounds=EARLY_STOPPING, verbose_eval=False)  # fmt: skip
    rounds = booster.best_iteration + 1
    predicted = booster.predict(dvalid, iteration_range=(0, rounds))
    auc = roc_auc_score(labels[valid], predicted) if 0 < labels[valid].sum() < valid.sum() else None
    held = candidates.loc[valid, ["u"]].assign(label=labels[valid])
    ndcg_ranker = ndcg_at(held.assign(score=predicted), k)
    ndcg_scores = ndcg_at(held.assign(score=candidates.loc[valid, "value"].to_numpy(float)), k)
    info = {**info, "rounds": rounds, "valid_auc": auc, f"valid_ndcg@{k}": round(ndcg_ranker, 4),
            f"valid_ndcg@{k}_without_ranker": round(ndcg_scores, 4)}  # fmt: skip
    if ndcg_ranker <= ndcg_scores:
        return None, {**info, "used": False}
    # the deployed ranker: the same rounds on every labelled customer
    booster = xgb.train(XGB_PARAMS, xgb.DMatrix(x, label=labels, feature_names=FEATURES), rounds)
    gain = booster.get_score(importance_type="total_gain")
    total = sum(gain.values()) or 1.0
    importance = {k: round(v / total, 4) for k, v in sorted(gain.items(), key=lambda kv: -kv[1])}
    return booster, {**info, "used": True, "importance": importance}


def ndcg_at(frame: pd.DataFrame, k: int) -> float:
    """Mean NDCG@k over customers (u) with a positive label, ranking their rows by score (0 = not shown)."""
    frame = frame[frame["score"] > 0].sort_values(["u", "score"], ascending=[True, False], kind="stable")
    rank = frame.groupby("u").cumcount().to_numpy() + 1
    gain = np.where((rank <= k) & (frame["label"].to_numpy() > 0), 1.0 / np.log2(rank + 1.0), 0.0)
    dcg = pd.Series(gain).groupby(frame["u"].to_numpy()).sum()
    positives = frame.groupby("u")["label"].sum()
    positives = positives[positives > 0]
    if positives.empty:
        return 0.0
    ideal = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))[np.minimum(positives.to_numpy(), k).astype(int) - 1]
    return float((dcg.reindex(positives.index, fill_value=0.0).to_numpy() / ideal).mean())


def one_thread(booster: xgb.Booster) -> xgb.Booster:
    """A copy of the booster that predicts on one thread (the same predictions): for chunks scored in threads,
    each of which would otherwise start XGB_PARAMS' nthread threads of its own."""
    copy = booster.copy()
    copy.set_param({"nthread": 1})
    return copy


def predict(booster: xgb.Booster, candidates: pd.DataFrame) -> np.ndarray:
    if candidates.empty:
        return np.zeros(0, np.float32)
    return booster.inplace_predict(matrix(candidates)).astype(np.float32)
