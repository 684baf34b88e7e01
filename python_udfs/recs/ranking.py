"""Ranking and diversity: best first, at most max_per_category per category, filled to top_n with trending."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from python_udfs.recs.model import REPEAT, TRENDING, Params

if TYPE_CHECKING:
    from python_udfs.recs.candidates import Context

# customers per chunk of the trending fill (an execution detail: it changes memory, not recommendations)
FILL_CHUNK = 20_000
FILL_ROWS = 2_000_000  # at most about this many candidate rows per chunk of the trending fill


def diversify(cands: pd.DataFrame, category_code: np.ndarray, cap: int, top_n: int) -> pd.DataFrame:
    """Best first, at most cap per category, top_n per customer."""
    if cands.empty:
        return cands.assign(category=pd.Series(dtype=int))
    u, i = cands["u"].to_numpy(), cands["i"].to_numpy()
    order = np.lexsort((i, -cands["score"].to_numpy(float), cands["priority"].to_numpy(), u))
    cands = cands.iloc[order].assign(category=category_code[i[order]])
    cands = cands[rank_within(cands["u"].to_numpy(), cands["category"].to_numpy()) < cap]
    return cands[rank_within(cands["u"].to_numpy()) < top_n].reset_index(drop=True)


def positions_in_sorted(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """The position of each key in a sorted table, -1 where it is not there: a binary search per key."""
    if len(table) == 0:
        return np.full(len(keys), -1, np.int64)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return np.where(table[at] == keys, at, -1)


def in_sorted(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """np.isin(keys, table) for a sorted table, without sorting both (np.isin of a scoring batch's candidate
    keys was about 3% of scoring's thread time at 1,000,000 contacts)."""
    return positions_in_sorted(keys, table) >= 0


def rank_within(u: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
    """0-based position of each row among earlier rows with the same u (and group); rows sorted by u."""
    key = u.astype(np.int64) if group is None else u.astype(np.int64) * (int(group.max()) + 1) + group
    if group is not None:  # rows of one customer are contiguous, but their groups interleave
        order = np.argsort(key, kind="stable")
        ranks = np.empty(len(key), np.int64)
        ranks[order] = rank_within(key[order])
        return ranks
    starts = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(key)), 0))
    return np.arange(len(key)) - first


def fill_with_trending(
    picks: pd.DataFrame, customers: pd.DataFrame, ctx: Context, p: Params, most_owned: int | None = None
) -> pd.DataFrame:
    """Customers short of top_n: trending in their preferred category, then overall; cap relaxed last.

    Products the customer bought are left out of the fill unless nothing else is left (a catalogue the
    customer has mostly bought already): then they come back, so the list still has top_n products.
    Each customer's fill is independent of the others', so the short customers go in chunks of
    FILL_CHUNK: the candidate frame is tens of rows per customer, and at 100,000 customers, most of them
    cold, one frame for all of them took 1.3 GB.

    most_owned: the most products any customer scored has bought (ctx's customers when None). Every customer's
    fill goes that deep into the trending products, so a list does not depend on which customers are filled
    together (recommend() passes it for all its customers, scored in chunks).

    The fill first goes only top_n x 3 + max_per_category x 3 deep, without most_owned. A customer whose
    list is then full gets the list the full depth gives: the capped pass takes rows in order and never
    reaches the deeper ones (they come after, at a lower or equal trend and a higher code). The others are
    filled again at the full depth, relaxed pass included. At 1,000,000 contacts most_owned is 149, so the
    fill went 188 products deep for every short customer instead of 39: about a quarter of the scoring time.
    """
    cust_index = pd.Index(ctx.people.ids)
    counts = picks.groupby("u").size().reindex(np.arange(len(cust_index)), fill_value=0)
    short = counts[counts < p.top_n].index.to_numpy()
    if len(short) == 0:
        return picks
    trend, catalogue = ctx.items.trend, ctx.items.frame
    pool = np.flatnonzero(ctx.items.active)
    pool = pool[np.argsort(-trend[pool], kind="stable")]
    preferred = customers.drop_duplicates("customer_id").set_index("customer_id")["preferred_category"]
    cat_names = catalogue["category"].to_numpy()
    n_items = len(catalogue)
    bought = ctx.people.bought
    owned_all = np.sort(bought["u"].to_numpy(np.int64) * n_items + bought["i"].to_numpy())
    owned_per_customer = np.bincount(bought["u"].to_numpy(), minlength=len(cust_index))
    if most_owned is None:
        most_owned = int(owned_per_customer.max()) if len(owned_per_customer) else 0
    # deep enough that the relaxed pass finds top_n products each customer has not bought
    depth = min(len(pool), _shallow_depth(p) + most_owned)
    short_picks = picks[picks["u"].isin(short)]

    def fill_chunk(chunk: np.ndarray, overall: np.ndarray, relax: bool) -> tuple[pd.DataFrame, np.ndarray]:
        """The chunk's filled lists, and the customers still short (relax=False: their lists are left out)."""
        pref = preferred.reindex(cust_index[chunk]).to_numpy()
        frames = []
        for cat in pd.unique(pref[pd.notna(pref)]):
            in_cat = pool[cat_names[pool] == cat][: p.top_n]
            users = chunk[pref == cat]
            if len(in_cat):
                frames.append(pd.DataFrame({"u": np.repeat(users, len(in_cat)), "i": np.tile(in_cat, len(users)),
                                            "score": np.tile(trend[in_cat], len(users)), "priority": 1}))  # fmt: skip
        frames.append(pd.DataFrame({"u": np.repeat(chunk, len(overall)), "i": np.tile(overall, len(chunk)),
                                    "score": np.tile(trend[overall], len(chunk)), "priority": 2}))  # fmt: skip
        fill = pd.concat(frames, ignore_index=True).assign(source=np.int8(TRENDING))
        is_owned = in_sorted(fill["u"].to_numpy(np.int64) * n_items + fill["i"].to_numpy(), owned_all)
        # bought products: the very last resort, marked as buy-again
        last_resort = fill[is_owned & (fill["priority"] == 2)].assign(priority=3, source=np.int8(REPEAT))
        existing = short_picks[short_picks["u"].isin(chunk)]
        merged = pd.concat([existing, fill[~is_owned]], ignore_index=True)
        merged = _first_of_each(merged, n_items)
        capped = diversify(merged, ctx.items.group, p.max_per_category, p.top_n)
        counts = capped.groupby("u").size().reindex(chunk, fill_value=0)
        still = counts[counts < p.top_n].index
        if len(still) and not relax:
            return capped[~capped["u"].isin(still)], still.to_numpy()
        if len(still):  # a small catalogue: relax the per-category cap rather than send fewer items
            wider = _first_of_each(pd.concat([merged, last_resort], ignore_index=True), n_items)
            relaxed = diversify(wider[wider["u"].isin(still)], ctx.items.group, p.top_n, p.top_n)
            capped = pd.concat([capped[~capped["u"].isin(still)], relaxed], ignore_index=True)
        return capped, still[:0].to_numpy()

    def fill(customers_short: np.ndarray, overall: np.ndarray, relax: bool) -> tuple[list, np.ndarray]:
        step = max(1, min(FILL_CHUNK, FILL_ROWS // max(len(overall), 1)))  # a deep fill: fewer customers at a time
        parts = [fill_chunk(customers_short[start : start + step], overall, relax)
                 for start in range(0, len(customers_short), step)]  # fmt: skip
        return [lists for lists, _ in parts], np.concatenate([rest for _, rest in parts] or [np.zeros(0, np.int64)])

    shallow = pool[: min(depth, _shallow_depth(p))]
    filled, again = fill(short, shallow, relax=len(shallow) == depth)
    if len(again):  # the customers the shallow fill left short: the full depth, as if it were the only one
        deeper, _ = fill(again, pool[:depth], relax=True)
        filled += deeper
    return pd.concat([picks[~picks["u"].isin(short)], *filled], ignore_index=True)


def _shallow_depth(p: Params) -> int:
    """How deep the first fill goes (fill_with_trending): the depth without most_owned."""
    return p.top_n * 3 + p.max_per_category * 3


def _first_of_each(frame: pd.DataFrame, n_items: int) -> pd.DataFrame:
    """The first row of each (customer, product), in the frame's order."""
    _, first = np.unique(frame["u"].to_numpy(np.int64) * n_items + frame["i"].to_numpy(), return_index=True)
    return frame.iloc[np.sort(first)]
