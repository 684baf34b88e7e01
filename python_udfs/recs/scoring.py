"""Scoring: top N products per customer with a fitted recommender and today's interactions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pandas as pd

from python_udfs.recs import ranker
from python_udfs.recs.candidates import Context, candidates
from python_udfs.recs.model import REPEAT, Recommender, in_order, pair_runs
from python_udfs.recs.ranking import diversify, fill_with_trending
from python_udfs.recs.reading import Coded, coded
from python_udfs.recs.reasons import with_reasons

# Customers scored together, from their profiles to their reasons: their candidates (tens of rows each, about
# 40 columns) are held at once, then only their top_n picks are kept. At 1,000,000 contacts, every customer's
# candidates at once took the build past 24 GB and it was killed; every customer's profiles at once, 14 GB.
SCORE_CHUNK_CUSTOMERS = 20_000
# Chunks are independent, so recommend(threads=n) scores n of them at once in threads of this process. Most of a
# chunk's time is numpy and scipy work that releases the GIL: at 100,000 contacts 2 threads took 37.9 s against
# 61.8 s for one, the same lists, and peak memory 2.3 GB against 1.6 GB (two chunks in flight).


def recommend(
    model: Recommender,
    events: pd.DataFrame,
    products: pd.DataFrame,
    customers: pd.DataFrame,
    rules: pd.DataFrame,
    as_of,
    trend: pd.Series | None = None,
    threads: int = 1,
) -> pd.DataFrame:
    """Top N per customer: customer_id, rank, product_id, score, source, reason.

    customers: customer_id and preferred_category (may be null). rules:
    if_category, then_category, boost. Every customer gets top_n distinct
    active items when the active catalogue has that many. trend: when events
    holds only the scored customers' interactions, every customer's
    interactions summed per product (python_udfs/recs/rescoring.py
    trend_weights); by default it is summed from events. threads: chunks of
    customers scored at once (SCORE_CHUNK_CUSTOMERS); the lists do not depend on it.
    """
    if products["product_id"].nunique() == 0 or len(customers) == 0:  # nothing to recommend, or nobody to
        return _no_lists()
    return recommend_read(model, coded(events, products, customers), rules, as_of, trend, threads)


def recommend_read(model: Recommender, inputs: Coded, rules: pd.DataFrame, as_of,
                   trend: pd.Series | None = None, threads: int = 1) -> pd.DataFrame:  # fmt: skip
    """recommend() on inputs already coded: read_coded's (python_udfs/recs/reading.py), or coded()'s."""
    if inputs.products["product_id"].nunique() == 0 or inputs.customers is None or len(inputs.customers) == 0:
        return _no_lists()
    codes = inputs.codes
    if trend is not None:
        trend = codes.series_to_codes(trend)
    lists = recommend_coded(codes.model_to_codes(model), inputs.events, inputs.products, inputs.customers, rules,
                            pd.Timestamp(as_of), trend, threads, inputs.events_in_order)  # fmt: skip
    return codes.lists_to_ids(lists)


def _no_lists() -> pd.DataFrame:
    return pd.DataFrame({"customer_id": pd.Series(dtype=str), "rank": pd.Series(dtype=int),
                         "product_id": pd.Series(dtype=str), "score": pd.Series(dtype=float),
                         "source": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})  # fmt: skip


def recommend_coded(model: Recommender, events: pd.DataFrame, products: pd.DataFrame, customers: pd.DataFrame,
                    rules: pd.DataFrame, as_of: pd.Timestamp,
                    trend: pd.Series | None = None, threads: int = 1,
                    events_in_order: bool = False) -> pd.DataFrame:  # fmt: skip
    """recommend() on inputs and a model whose ids are codes (Codes.encode, Codes.model_to_codes);
    events_in_order: as for in_order."""
    if products["product_id"].nunique() == 0 or len(customers) == 0:
        return _no_lists()
    events, products, customers = in_order(events, products, customers, events_in_order)
    shared, ev = Context.shared(model, events, products, rules, as_of, trend)
    del events
    # a customer's list depends on the customer and the shared context only: customers go SCORE_CHUNK_CUSTOMERS
    # at a time, from their profiles to their reasons, so memory holds one chunk's profiles and candidates
    customers = customers.drop_duplicates("customer_id")  # (each chunk keeps a customer's first row, as before)
    ev_customer = ev["customer_id"].to_numpy()
    most_owned = _most_owned(ev, customers["customer_id"].to_numpy())
    known = len(ev_customer) - int((ev_customer < 0).sum())  # in id order, null ids (-1) last (in_order)

    def score(start: int) -> pd.DataFrame:  # one chunk's lists; reads the shared context, writes nothing shared
        chunk = customers.iloc[start : start + SCORE_CHUNK_CUSTOMERS]
        codes = chunk["customer_id"].to_numpy()
        if (codes < 0).any():
            theirs = ev[ev["customer_id"].isin(codes)]
        else:
            theirs = ev.iloc[slice(*np.searchsorted(ev_customer[:known], [codes.min(), codes.max() + 1]))]
        ctx = shared.with_people(theirs, chunk)
        picks = fill_with_trending(_picks(ctx, candidates(ctx)), chunk, ctx, ctx.model.params, most_owned)
        return with_reasons(picks, ctx)

    starts = range(0, len(customers), SCORE_CHUNK_CUSTOMERS)
    if threads > 1 and len(starts) > 1:  # map keeps the chunks' order: the same frame as one thread
        if model.ranker is not None:  # each chunk predicts on one core: the chunks already fill them
            shared = replace(shared, model=replace(shared.model, ranker=ranker.one_thread(shared.model.ranker)))
        with ThreadPoolExecutor(min(threads, len(starts)), thread_name_prefix="recommend") as pool:
            parts = list(pool.map(score, starts))
    else:
        parts = [score(start) for start in starts]
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def _most_owned(ev: pd.DataFrame, customers: np.ndarray) -> int:
    """The most distinct products any of the customers bought in ev (People.build's bought, for all of them)."""
    purchases = ev[(ev["interaction_type"] == "purchase") & ev["customer_id"].isin(customers[customers >= 0])]
    if purchases.empty:
        return 0
    customer, product = purchases["customer_id"].to_numpy(np.int64), purchases["product_id"].to_numpy()
    # events in in_order's order: each pair's rows come together, so its first row finds it (np.unique sorted
    # the purchases again: 5 s at 1,000,000 contacts)
    first = pair_runs(customer, product)
    if first is not None:
        return int(np.bincount(customer[first]).max())
    n_codes = int(product.max()) + 1
    return int(np.bincount(np.unique(customer * n_codes + product) // n_codes).max())


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
