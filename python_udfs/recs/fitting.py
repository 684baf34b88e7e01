"""Fitting the recommender: EASE weights, item exposure, repeat-purchase rates and the learned ranker."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from python_udfs.recs import ranker
from python_udfs.recs.candidates import Context, candidates
from python_udfs.recs.codes import Codes
from python_udfs.recs.collaborative import ease, popularity
from python_udfs.recs.model import Params, Recommender, clean_events, in_order, no_rules, pair_runs


def _repeat_rates(events: pd.DataFrame, products: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per product: how often its buyers, when they buy in its category again, buy this same item again.

    Only buyers who did buy in the category again count (eligible), so the rate
    separates items people re-stock (coffee pods: the same pod again) from
    items they replace with another (a book: a different book), whatever the
    customers' buying frequency. Smoothed toward the category's rate with
    repeat_prior pseudo-buyers; repurchase_days is the median gap between
    purchases of the same item (the category's when the item has none).

    Products and categories are counted by their position in the catalogue and a code per category: grouping
    the pairs by the category names (and by customer and name) took about 3 s of each of a retrain's three
    fits at 1,000,000 contacts. A pair whose product has no category, or is not in the catalogue, is never
    eligible and counts for no category, as when the names were grouped (groups leave missing keys out).
    """
    category = products.drop_duplicates("product_id").set_index("product_id")["category"]
    purchases = events[events["interaction_type"] == "purchase"]
    if purchases.empty:  # nothing bought yet: nothing is known to come back
        return pd.DataFrame({"repeat_rate": 0.0, "repurchase_days": 30.0}, index=category.index)
    per_pair = _purchase_pairs(purchases)
    cat_of_item, _ = pd.factorize(category)  # -1: no category
    n_items, n_cats = len(category), int(cat_of_item.max(initial=-1)) + 1
    item = category.index.get_indexer(per_pair["product_id"])  # -1: not in the catalogue
    cat = np.append(cat_of_item, -1)[item]  # the appended -1 for item -1
    first = per_pair["first"].to_numpy()
    # a customer's last purchase in a category: the latest of their pairs' last purchases in it
    category_last = _latest_per_group(_customer_numbers(per_pair["customer_id"]), cat, per_pair["last"].to_numpy())
    eligible = (cat >= 0) & (category_last > first)
    rebought = per_pair["orders"].to_numpy() >= 2
    again = per_pair[rebought]
    gap = (again["last"] - again["first"]).dt.total_seconds() / 86400 / (again["orders"] - 1).clip(lower=1)
    gap_days = gap.to_numpy(np.float64)
    item_eligible = np.bincount(item[eligible], minlength=n_items).astype(np.float64)
    # like a category, a product with no eligible pair has no gap of its own
    per_item_gap = np.where(item_eligible > 0, _median_by(item[rebought], gap_days, n_items), np.nan)
    item_rebuyers = np.bincount(item[eligible & rebought], minlength=n_items).astype(np.float64)
    cat_eligible = np.bincount(cat[eligible], minlength=n_cats)
    cat_rebuyers = np.bincount(cat[eligible & rebought], minlength=n_cats)
    overall = float(cat_rebuyers.sum() / cat_eligible.sum()) if eligible.any() else 0.0
    # a category with no eligible pair has neither a rate nor a gap of its own (the groups of eligible pairs
    # gave them)
    cat_rate = np.where(cat_eligible > 0, (cat_rebuyers + params.repeat_prior * overall) / (
        cat_eligible + params.repeat_prior
    ), np.nan)  # fmt: skip
    cat_gap = np.where(cat_eligible > 0, _median_by(cat[rebought], gap_days, n_cats), np.nan)
    item_cat_rate = np.append(cat_rate, np.nan)[cat_of_item]  # an item without a category (-1): NaN
    item_cat_gap = np.append(cat_gap, np.nan)[cat_of_item]
    prior = np.where(np.isnan(item_cat_rate), overall, item_cat_rate)
    repeat_rate = (item_rebuyers + params.repeat_prior * prior) / (item_eligible + params.repeat_prior)
    days = np.where(np.isnan(per_item_gap), item_cat_gap, per_item_gap)
    days = np.maximum(np.where(np.isnan(days), 30.0, days), 1.0)
    return pd.DataFrame({"repeat_rate": repeat_rate, "repurchase_days": days}, index=category.index)


def _customer_numbers(customers: pd.Series) -> np.ndarray:
    """A number per customer (equal ids, equal numbers): the ids themselves when they are codes."""
    values = customers.to_numpy()
    if values.dtype.kind == "i" and (len(values) == 0 or values.min() >= 0):
        return values.astype(np.int64)
    return pd.factorize(customers)[0].astype(np.int64)


def _latest_per_group(customer: np.ndarray, cat: np.ndarray, moment: np.ndarray) -> np.ndarray:
    """Per row, the latest moment among the rows of its (customer, category); NaT where the category is -1."""
    if moment.dtype.kind != "M":  # times with a time zone come as objects: pandas compares them
        latest = pd.Series(moment).groupby([customer, cat]).transform("max")
        return latest.where(cat >= 0).to_numpy()
    out = np.full(len(moment), np.datetime64("NaT"), moment.dtype)
    rows = np.flatnonzero(cat >= 0)
    if not len(rows):
        return out
    key = customer[rows] * (int(cat.max()) + 1) + cat[rows]
    by_key = np.argsort(key, kind="stable")
    order, sorted_key = rows[by_key], key[by_key]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    latest = np.maximum.reduceat(moment[order].view(np.int64), starts).view(moment.dtype)
    out[order] = np.repeat(latest, np.diff(np.r_[starts, len(order)]))
    return out


def _median_by(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """The median of the values of each group 0 to n_groups - 1 (NaN: none); rows of group -1 count for none."""
    out = np.full(n_groups, np.nan)
    keep = group >= 0
    if keep.any():
        medians = pd.Series(values[keep]).groupby(group[keep]).median()
        out[medians.index.to_numpy()] = medians.to_numpy()
    return out


def _interactions(ev: pd.DataFrame, params: Params) -> tuple[sp.csr_matrix, np.ndarray]:
    """The customers x items matrix of each pair's interaction weights summed (at most 1), and its items (sorted).

    Events in pair order (in_order's, as a retrain gives them) are summed by their runs with np.add.reduceat,
    which is what pandas does for groups whose rows come in order (so the same floats), without grouping two
    keys of every interaction (at 1,000,000 contacts about 4 s of each of a retrain's three fits).
    """
    w = ev["interaction_type"].map(params.weights()).astype(float)
    customer, product = ev["customer_id"].to_numpy(), ev["product_id"].to_numpy()
    first = pair_runs(customer, product)
    if first is None:
        pairs = pd.DataFrame({"customer_id": customer, "product_id": product, "w": w.to_numpy()})
        pairs = pairs.groupby(["customer_id", "product_id"])["w"].sum().reset_index()
        customer, product, weight = (pairs[name].to_numpy() for name in ("customer_id", "product_id", "w"))
    else:
        weight = np.add.reduceat(w.to_numpy(), np.flatnonzero(first))
        customer, product = customer[first], product[first]
    weight = np.minimum(weight, 1.0)
    # pairs sorted by customer, then product: a customer's row starts where their first pair is
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]]) if len(customer) else np.zeros(0, np.int64)
    indptr = np.r_[starts, len(customer)]
    if len(product) and product.dtype.kind == "i" and product.min() >= 0:  # codes: a table finds their column
        present = np.bincount(product) > 0
        items = np.flatnonzero(present).astype(product.dtype)
        column = np.cumsum(present) - 1
        cols = column[product]
    else:
        items = np.sort(pd.unique(product))
        cols = np.searchsorted(items, product)
    x = sp.csr_matrix((weight, cols, indptr), shape=(len(starts), len(items)))
    return x, items


def _purchase_pairs(purchases: pd.DataFrame) -> pd.DataFrame:
    """Per (customer, product) bought: orders (distinct moments), first and last purchase, in pair order."""
    customer, product = purchases["customer_id"].to_numpy(), purchases["product_id"].to_numpy()
    moment = purchases["occurred_at"]
    first = pair_runs(customer, product)
    if first is None or moment.isna().any() or not _moments_ordered(moment.to_numpy(), first):
        return (
            purchases.groupby(["customer_id", "product_id"])
            .agg(orders=("occurred_at", "nunique"), first=("occurred_at", "min"), last=("occurred_at", "max"))
            .reset_index()
        )
    # in_order's order: within a pair its moments ascend, so the first row is the first purchase, the last
    # row the last one, and a moment unlike the row before it is a new one (the groups took about 3 s a fit)
    at = moment.to_numpy()
    starts = np.flatnonzero(first)
    ends = np.r_[starts[1:], len(at)] - 1
    new_moment = first.copy()
    new_moment[1:] |= at[1:] != at[:-1]
    return pd.DataFrame(
        {
            "customer_id": customer[starts],
            "product_id": product[starts],
            "orders": np.add.reduceat(new_moment.astype(np.int64), starts),
            "first": moment.iloc[starts].to_numpy(),
            "last": moment.iloc[ends].to_numpy(),
        }
    )


def _moments_ordered(at: np.ndarray, first: np.ndarray) -> bool:
    """Whether the moments ascend within each run (first: where runs start)."""
    return bool(((at[1:] >= at[:-1]) | first[1:]).all())


def _fit_base(ev: pd.DataFrame, products: pd.DataFrame, as_of: pd.Timestamp, params: Params) -> Recommender:
    """EASE over the ease_max_items most-bought products, exposure counts and repeat rates."""
    x, items = _interactions(ev, params)
    seen = pd.Series(popularity(x), index=items)
    if len(items) > params.ease_max_items:  # the items with the most people behind them; ties by id
        order = np.lexsort((np.arange(len(items)), -seen.to_numpy()))[: params.ease_max_items]
        keep = np.sort(order)
        x, cf_items = x[:, keep], items[keep]
    else:
        cf_items = items
    b = ease(x, params.ease_lambda) if len(cf_items) else np.zeros((0, 0), dtype=np.float32)
    return Recommender(params, cf_items, b, seen, _repeat_rates(ev, products, params), as_of)


def fit(events: pd.DataFrame, products: pd.DataFrame, as_of, params: Params | None = None) -> Recommender:
    """Learn the EASE weights, item exposure, repeat-purchase rates and the ranker from events before as_of."""
    codes, events, products, _ = Codes.encode(events, products)
    return codes.model_to_ids(fit_coded(events, products, as_of, params))


def fit_coded(
    events: pd.DataFrame,
    products: pd.DataFrame,
    as_of,
    params: Params | None = None,
    bases: dict | None = None,
    events_in_order: bool = False,
) -> Recommender:
    """fit() on inputs whose ids are codes (Codes.encode); the model's products are codes too.

    bases: the base fits (_fit_base) of earlier calls on the same inputs, reused and added to. A retrain fits
    the evaluation's model at as_of - holdout_days and the deployed ranker's base at as_of - ranker_label_days:
    the same fit when both are 30 days (the defaults), one EASE solve instead of two.
    events_in_order: the events were put in order by in_order before (see in_order).
    """
    params = params or Params()
    as_of = pd.Timestamp(as_of)
    events, products, _ = in_order(events, products, events_in_order=events_in_order)
    ev = clean_events(events, as_of)
    model = _base(ev, products, as_of, params, bases)
    model.ranker, model.ranker_info = _fit_ranker(ev, products, as_of, params, bases)
    return model


def fit_base_ahead(events: pd.DataFrame, products: pd.DataFrame, as_of, params: Params, bases: dict) -> None:
    """Adds to bases the base fit (EASE weights, exposure, repeat rates) that fit_coded(events, products, as_of,
    params, bases, events_in_order=True) starts from, so that call finds it made. A retrain runs it in a thread
    while the evaluation runs: the two fits do not depend on each other (python_udfs/recs/training.py)."""
    _base(clean_events(events, pd.Timestamp(as_of)), products, pd.Timestamp(as_of), params, bases)


def _base(ev: pd.DataFrame, products: pd.DataFrame, as_of: pd.Timestamp, params: Params,
          bases: dict | None) -> Recommender:  # fmt: skip
    """_fit_base, or a copy of the same fit made before (bases: by as_of, parameters and the events' checksum)."""
    if bases is None:
        return _fit_base(ev, products, as_of, params)
    columns = ("customer_id", "product_id", "occurred_at")
    checksum = [int(_as_int64(ev[name].to_numpy()).sum()) for name in columns]
    key = (as_of, params, len(ev), len(products), *checksum)
    if key not in bases:
        bases[key] = _fit_base(ev, products, as_of, params)
    return replace(bases[key], ranker=None, ranker_info={})


def _as_int64(values: np.ndarray) -> np.ndarray:
    """values.astype(np.int64), without a copy for 64-bit integers and times (three 25 M-row copies per fit)."""
    if values.dtype.kind in "iM" and values.dtype.itemsize == 8:
        return values.view(np.int64)
    return values.astype(np.int64)


def _distinct_customers(events: pd.DataFrame) -> np.ndarray:
    """The distinct customer ids of events, in no particular order; events in customer order (in_order's) give
    them from where each customer's rows start, without hashing every row (about 0.6 s of each of a retrain's
    two ranker fits at 1,000,000 contacts)."""
    customer = events["customer_id"].to_numpy()
    if customer.dtype.kind == "i" and len(customer) and (customer[1:] >= customer[:-1]).all():
        return customer[np.r_[True, customer[1:] != customer[:-1]]]
    return events["customer_id"].unique()


def _fit_ranker(ev: pd.DataFrame, products: pd.DataFrame, as_of: pd.Timestamp, params: Params,
                bases: dict | None = None):  # fmt: skip
    """Candidates as of as_of - ranker_label_days for customers who bought after it, labelled by what they bought."""
    cut = as_of - pd.Timedelta(days=params.ranker_label_days)
    past = ev[ev["occurred_at"] < cut]
    later = ev[(ev["occurred_at"] >= cut) & (ev["interaction_type"] == "purchase")]
    buyers = np.sort(np.intersect1d(later["customer_id"].unique(), _distinct_customers(past)))
    info = {"label_days": params.ranker_label_days, "cutoff": str(cut)}
    if len(buyers) < params.ranker_min_customers:  # too few to learn from, or to check the ranker on
        return None, {**info, "rows": 0, "positives": 0, "customers": len(buyers), "used": False}
    if len(buyers) > params.ranker_max_customers:  # a fixed sample: enough rows, bounded time
        buyers = np.sort(np.random.default_rng(7).choice(buyers, params.ranker_max_customers, replace=False))
    base = _base(past, products, cut, params, bases)
    customers = pd.DataFrame({"customer_id": buyers, "preferred_category": None})
    ctx = Context.build(base, past, products, customers, no_rules(), cut)
    cands = candidates(ctx)
    bought = later[["customer_id", "product_id"]].drop_duplicates()
    key = pd.MultiIndex.from_arrays([ctx.people.ids[cands["u"].to_numpy()], ctx.items.ids[cands["i"].to_numpy()]])
    labels = key.isin(pd.MultiIndex.from_frame(bought)).astype(np.float32)
    booster, trained = ranker.train(cands, labels, params.ranker_min_positives, params.top_n)
    info.update(trained)
    # how much of what was bought the candidates could reach at all: the ranker's ceiling
    info["candidate_recall"] = round(float(labels.sum() / max(len(bought[bought["customer_id"].isin(buyers)]), 1)), 4)
    return booster, info
