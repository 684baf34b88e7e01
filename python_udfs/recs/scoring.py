"""Scoring: top N products per customer with a fitted recommender and today's interactions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from python_udfs.recs import ranker
from python_udfs.recs.candidates import Context, candidate_chunks
from python_udfs.recs.codes import Codes
from python_udfs.recs.model import REPEAT, Recommender, in_order
from python_udfs.recs.ranking import diversify, fill_with_trending
from python_udfs.recs.reasons import with_reasons

# Warm customers scored together: their candidates (tens of rows each, about 40 columns) are held at once,
# then only their top_n picks are kept. At 1,000,000 contacts, every customer's candidates at once took the
# build past 24 GB and it was killed.
SCORE_CHUNK_CUSTOMERS = 20_000


def recommend(
    model: Recommender,
    events: pd.DataFrame,
    products: pd.DataFrame,
    customers: pd.DataFrame,
    rules: pd.DataFrame,
    as_of,
) -> pd.DataFrame:
    """Top N per customer: customer_id, rank, product_id, score, source, reason.

    customers: customer_id and preferred_category (may be null). rules:
    if_category, then_category, boost. Every customer gets top_n distinct
    active items when the active catalogue has that many.
    """
    as_of = pd.Timestamp(as_of)
    if products["product_id"].nunique() == 0 or len(customers) == 0:  # nothing to recommend, or nobody to
        return _no_lists()
    codes, events, products, customers = Codes.encode(events, products, customers)
    return codes.lists_to_ids(recommend_coded(codes.model_to_codes(model), events, products, customers, rules, as_of))


def _no_lists() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(dtype=str), "rank": pd.Series(dtype=int),
                         "product_id": pd.Series(dtype=str), "score": pd.Series(dtype=float),
                         "source": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})  # fmt: skip


def recommend_coded(model: Recommender, events: pd.DataFrame, products: pd.DataFrame, customers: pd.DataFrame,
                    rules: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:  # fmt: skip
    """recommend() on inputs and a model whose ids are codes (Codes.encode, Codes.model_to_codes)."""
    p = model.params
    if products["product_id"].nunique() == 0 or len(customers) == 0:
        return _no_lists()
    events, products, customers = in_order(events, products, customers)
    ctx = Context.build(model, events, products, customers, rules, as_of)
    chunks = [_picks(ctx, cands) for cands in candidate_chunks(ctx, SCORE_CHUNK_CUSTOMERS)]
    picks = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    picks = fill_with_trending(picks, customers, ctx, p)
    return with_reasons(picks, ctx)


def _picks(ctx: Context, cands: pd.DataFrame) -> pd.DataFrame:
    """The top_n picks (diversified) of the customers whose candidates cands holds."""
    model, p = ctx.model, ctx.model.params
    if model.ranker is not None and len(cands):
        prob = ranker.predict(model.ranker, cands)
        # per customer, the best candidate is 1: rule boosts then weigh the same as on the hybrid scale
        best = pd.Series(prob).groupby(cands["u"].to_numpy()).transform("max").to_numpy()
        cands["score"] = prob / np.maximum(best, 1e-12) + cands["rule"].to_numpy()
    else:
        cands = cands[cands["value"] > 0]
        cands["score"] = cands["value"].astype(float)
    parts = np.stack([(cands["collaborative"] * cands["customer_confidence"] * cands["item_confidence"]).to_numpy(),
                      (cands["content"] * (1 - cands["customer_confidence"] * cands["item_confidence"])).to_numpy(),
                      cands["rule"].to_numpy()], axis=1) if len(cands) else np.zeros((0, 3))  # fmt: skip
    source = np.where(cands["is_rebuy"].to_numpy(bool), REPEAT, parts.argmax(1) if len(cands) else 0)
    personal = pd.DataFrame({"u": cands["u"].to_numpy(np.int64), "i": cands["i"].to_numpy(np.int64),
                             "score": cands["score"].to_numpy(float), "source": source.astype(np.int8),
                             "priority": 0})  # fmt: skip
    return diversify(personal, ctx.items.group, p.max_per_category, p.top_n)
