"""Offline ranking metrics: precision, recall and NDCG at K, and catalogue coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd


def ranking_metrics(recommended: pd.DataFrame, relevant: pd.DataFrame, catalogue_size: int, k: int = 10) -> dict:
    """Mean precision@k, recall@k and NDCG@k over the users in `relevant`, and catalogue coverage.

    recommended: user_id, product_id, rank (1 = best); relevant: user_id, product_id.
    A user with relevant items but no recommendations counts with zeros. Coverage is
    the share of the catalogue that appears in anyone's top k.
    """
    top = recommended[recommended["rank"] <= k]
    truth = relevant[["user_id", "product_id"]].drop_duplicates()
    n_relevant = truth.groupby("user_id").size()
    hits = top.merge(truth.assign(hit=True), on=["user_id", "product_id"], how="inner")
    hits = hits[hits["user_id"].isin(n_relevant.index)]
    per_user_hits = hits.groupby("user_id").size().reindex(n_relevant.index, fill_value=0)
    dcg = 1.0 / np.log2(hits["rank"].to_numpy() + 1.0)
    per_user_dcg = pd.Series(dcg, index=hits["user_id"].to_numpy()).groupby(level=0).sum()
    per_user_dcg = per_user_dcg.reindex(n_relevant.index, fill_value=0.0)
    discounts = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    ideal = discounts[np.minimum(n_relevant.to_numpy(), k) - 1]
    return {
        f"precision@{k}": float((per_user_hits / k).mean()),
        f"recall@{k}": float((per_user_hits / n_relevant).mean()),
        f"ndcg@{k}": float((per_user_dcg.to_numpy() / ideal).mean()),
        f"hit@{k}": float((per_user_hits > 0).mean()),
        "coverage": float(top["product_id"].nunique() / catalogue_size) if catalogue_size else 0.0,
        "users": len(n_relevant),
    }


def top_k_frame(scores: np.ndarray, user_ids: np.ndarray, item_ids: np.ndarray, k: int) -> pd.DataFrame:
    """user_id, product_id, rank from a dense users x items score matrix (-inf = never recommend)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    valid = np.isfinite(np.take_along_axis(scores, top, axis=1))
    rows = np.repeat(np.arange(len(user_ids)), k).reshape(-1, k)
    return pd.DataFrame(
        {
            "user_id": user_ids[rows[valid]],
            "product_id": item_ids[top[valid]],
            "rank": np.tile(np.arange(1, k + 1), (len(user_ids), 1))[valid],
        }
    )
