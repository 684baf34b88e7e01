"""Candidates per customer, with their score parts and the ranker's features.

Context.build derives from a fitted model, today's events and the catalogue
everything scoring needs, in index form (customers u, products i). candidates()
gives, per warm customer, the best new products by the hybrid score and the
bought products that may come back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp

from python_udfs.recs import ranker
from python_udfs.recs.content import content_similarity
from python_udfs.recs.model import Params, Recommender, clean_events
from python_udfs.recs.ranking import positions_in_sorted, rank_within
from python_udfs.recs.sparse import compiled, sorted_product

# products per bought category that rules can boost (the best of the accessory categories by trend)
RULE_ITEMS = 200
# The collaborative product (profiles x EASE weights) goes a tile of this many columns at a time over a whole
# batch, so the tile of weights it reads for every profile entry stays in the L3 cache (5,000 rows x 512 float32
# columns: 10 MB): row by row, each entry read a row of the weights (20 KB at 5,000 items) from memory. Each
# score is summed over the same entries in the same order either way (scipy multiplies row by row), so the
# scores are the same to the bit; 2,000 customers of the 1,000,000-contact bench: 50 ms against 90 ms.
DENSE_TILE_COLUMNS = 512


def _profiles(ev: pd.DataFrame, as_of: pd.Timestamp, params: Params) -> pd.DataFrame:
    """Per customer and product: decayed strength, profile weight, purchase facts."""
    ev = ev.copy()
    age = (as_of - ev["occurred_at"]).dt.total_seconds() / 86400
    ev["strength"] = ev["interaction_type"].map(params.weights()).astype(float) * 0.5 ** (age / params.half_life_days)
    ev["is_purchase"] = ev["interaction_type"] == "purchase"
    ev["purchase_at"] = ev["occurred_at"].where(ev["is_purchase"])
    ev["recent"] = np.where(ev["is_purchase"], 0.5 ** (age / params.repeat_recent_half_life_days), 0.0)
    ev["purchase_key"] = _purchase_key(ev)
    ev["other_kind"] = ~ev["is_purchase"]
    agg = (
        ev.groupby(["customer_id", "product_id"])
        .agg(
            strength=("strength", "sum"),
            last_at=("occurred_at", "max"),
            last_purchased_at=("purchase_at", "max"),
            first_purchased_at=("purchase_at", "min"),
            purchased=("is_purchase", "any"),
            orders=("purchase_key", "nunique"),
            other_kind=("other_kind", "any"),
            recent=("recent", "sum"),
        )
        .reset_index()
    )
    # the interactions that are not purchases share one key: it counted once, and is not an order
    agg["orders"] -= agg.pop("other_kind").astype(agg["orders"].dtype)
    # by customer, latest first, then product: the groupby left the rows in customer and product order, so a
    # stable sort on customer and time keeps product order among equal times. sort_values on the three columns
    # factorized each of them first (about twice as long on the 2 M profile rows of 150,000 real customers)
    last = agg["last_at"].to_numpy()
    latest_first = np.where(np.isnat(last), np.iinfo(np.int64).max, -last.view(np.int64))  # no time: last
    agg = agg.iloc[np.lexsort((latest_first, agg["customer_id"].to_numpy()))]
    agg["position"] = agg.groupby("customer_id").cumcount()
    agg["weight"] = agg["strength"] * 0.5 ** (agg["position"] / params.profile_half_life_items)
    return agg.reset_index(drop=True)


def _purchase_key(ev: pd.DataFrame) -> np.ndarray:
    """One int64 per interaction: a purchase's order (the order code; without an order id, its moment, as a
    negative number), and one key below all of them for every other interaction. Lines of one basket are one
    purchase. Integers, not the strings of both (about a third of the profiles' time at 1,000,000 contacts)."""
    order = ev["order_id"].to_numpy(np.float64)
    moment = ev["occurred_at"].to_numpy().astype(np.int64)
    has_order = ~np.isnan(order)
    first = int(moment.min()) if len(moment) else 0
    key = np.where(has_order, np.nan_to_num(order).astype(np.int64), first - moment - 1)
    key[~ev["is_purchase"].to_numpy(bool)] = np.iinfo(np.int64).min
    return key


@dataclass
class Items:
    """The catalogue in index form: product i is row i of frame."""

    frame: pd.DataFrame  # one row per product
    ids: np.ndarray  # product_id of each i
    categories: np.ndarray  # category names; category_code indexes them
    category_code: np.ndarray
    group: np.ndarray  # diversity group: the category, or the product itself when it has none
    active: np.ndarray
    names: np.ndarray
    seen: np.ndarray  # distinct customers who interacted with each product (fitted)
    c_item: np.ndarray  # item confidence: seen / (seen + item_confidence_k)
    trend: np.ndarray
    repeat_rate: np.ndarray
    repurchase_days: np.ndarray
    content: sp.csr_matrix  # product x product content similarity

    @classmethod
    def build(cls, model: Recommender, products: pd.DataFrame) -> Items:
        """Everything but the trend, which needs today's events (set by Context.build)."""
        p = model.params
        catalogue = products.drop_duplicates("product_id").reset_index(drop=True)
        n_items = len(catalogue)
        has_category = catalogue["category"].notna().to_numpy()
        category = catalogue["category"].fillna("Other").to_numpy()
        categories, category_code = np.unique(category, return_inverse=True)
        seen = model.seen.reindex(catalogue["product_id"]).fillna(0).to_numpy(np.float32)
        repeat = model.repeat.reindex(catalogue["product_id"])
        # display_name: the name, or the id when there is none (recs/codes.py, where ids are codes)
        # (the fallback only when there is no display_name: as .get's default it was computed every time, and
        # filling text names with integer codes warns that a future pandas will raise)
        names = (
            catalogue["display_name"]
            if "display_name" in catalogue
            else catalogue["product_name"].fillna(catalogue["product_id"])
        )
        return cls(
            frame=catalogue,
            ids=catalogue["product_id"].to_numpy(),
            categories=categories,
            category_code=category_code,
            group=np.where(has_category, category_code, len(categories) + np.arange(n_items)),
            active=catalogue["is_active"].fillna(False).astype(bool).to_numpy(),
            names=names.to_numpy(),
            seen=seen,
            c_item=seen / (seen + p.item_confidence_k),
            trend=np.zeros(n_items),
            repeat_rate=repeat["repeat_rate"].fillna(0).to_numpy(np.float32),
            repurchase_days=repeat["repurchase_days"].fillna(30).to_numpy(np.float32),
            content=content_similarity(catalogue, p.content_neighbours, p.content_full_items),
        )


@dataclass
class Collaborative:
    """The fitted EASE weights, restricted to the products still in the catalogue."""

    b: np.ndarray
    pos: np.ndarray  # catalogue position of each EASE item
    column: np.ndarray  # EASE index of each catalogue item, -1 when EASE does not cover it
    tiles: tuple[np.ndarray, ...] = ()  # b's columns, DENSE_TILE_COLUMNS at a time, each contiguous (scoring's)

    @classmethod
    def build(cls, model: Recommender, items: Items, tiled: bool = False) -> Collaborative:
        """tiled: also b's columns in tiles, for _dense_discoveries (a second copy of b)."""
        item_index = pd.Index(items.ids)
        keep = np.flatnonzero(item_index.get_indexer(model.cf_items) >= 0)
        pos = item_index.get_indexer(model.cf_items[keep])
        column = np.full(len(items.ids), -1)
        column[pos] = np.arange(len(pos))
        b = model.b[np.ix_(keep, keep)]
        starts = range(0, b.shape[1], DENSE_TILE_COLUMNS) if tiled else ()
        tiles = tuple(np.ascontiguousarray(b[:, lo : lo + DENSE_TILE_COLUMNS]) for lo in starts)
        return cls(b=b, pos=pos, column=column, tiles=tiles)


@dataclass
class People:
    """The customers scored, in index form (customer u is ids[u]), and their profiles."""

    ids: np.ndarray
    prof: pd.DataFrame  # per customer and product: strength, profile weight and position, purchase facts
    top_prof: pd.DataFrame  # the profile_items most recent products of each customer
    profile: sp.csr_matrix  # customers x products, profile weights
    c_user: np.ndarray  # customer confidence: products seen / (products seen + customer_confidence_k)
    bought: pd.DataFrame  # the rows of prof the customer bought, by u
    owned_category: sp.csr_matrix  # customers x categories: 1 where the customer bought in it
    facts: pd.DataFrame  # per u: the ranker's customer features

    @classmethod
    def build(cls, ev: pd.DataFrame, customers: pd.DataFrame, items: Items, as_of: pd.Timestamp, p: Params) -> People:
        item_index = pd.Index(items.ids)
        cust_ids = customers["customer_id"].drop_duplicates().to_numpy()
        cust_index = pd.Index(cust_ids)
        # a profile is its customer's events alone: profile only the customers scored (evaluate and the
        # ranker score a few thousand of a million)
        prof = _profiles(ev[ev["customer_id"].isin(cust_index)], as_of, p)
        prof["u"] = cust_index.get_indexer(prof["customer_id"])
        prof["i"] = item_index.get_indexer(prof["product_id"])
        top_prof = prof[prof["position"] < p.profile_items]
        profile = sp.csr_matrix(
            (top_prof["weight"].to_numpy(np.float32), (top_prof["u"], top_prof["i"])),
            shape=(len(cust_ids), len(items.ids)),
        )
        n_seen_customer = np.bincount(prof["u"], minlength=len(cust_ids)).astype(np.float32)
        bought = prof[prof["purchased"]].sort_values("u", kind="stable")
        owned_category = sp.csr_matrix(
            (np.ones(len(bought), np.float32), (bought["u"].to_numpy(), items.category_code[bought["i"].to_numpy()])),
            (len(cust_ids), len(items.categories)),
        )
        owned_category.data[:] = 1
        facts = (
            bought.assign(rebought=bought["orders"] >= 2)
            .groupby("u")
            .agg(
                customer_orders=("orders", "sum"),
                customer_last=("last_purchased_at", "max"),
                customer_repeat_share=("rebought", "mean"),
            )
        )
        facts["customer_days_since"] = (as_of - facts["customer_last"]).dt.total_seconds() / 86400
        facts = facts.reindex(np.arange(len(cust_ids)))
        facts["customer_items"] = n_seen_customer
        return cls(
            ids=cust_ids,
            prof=prof,
            top_prof=top_prof,
            profile=profile,
            c_user=n_seen_customer / (n_seen_customer + p.customer_confidence_k),
            bought=bought,
            owned_category=owned_category,
            facts=facts,
        )


@dataclass
class Rules:
    """The seeded rules over known categories (rows, in seed order) and as a category x item boost matrix."""

    rows: pd.DataFrame  # if_cat, then_cat, boost
    matrix: sp.csr_matrix


@dataclass
class Context:
    """Everything recommend() derives from a model, today's events and the catalogue, in index form."""

    model: Recommender
    as_of: pd.Timestamp
    items: Items
    cf: Collaborative
    people: People | None
    rules: Rules

    @classmethod
    def build(cls, model, events, products, customers, rules, as_of) -> Context:
        shared, ev = cls.shared(model, events, products, rules, as_of)
        return shared.with_people(ev, customers)

    @classmethod
    def shared(cls, model, events, products, rules, as_of, trend=None) -> tuple[Context, pd.DataFrame]:
        """The context without customers (people None): the catalogue, its trend, EASE and the rules; and the
        clean events of catalogue products, in the events' order, for with_people.

        trend: each product's decayed interaction weight (a Series by product id, trend_weights()), when the
        events given are not all of them (python_udfs/recs/rescoring.py); by default it is summed from them."""
        p = model.params
        items = Items.build(model, products)
        ev = clean_events(events, as_of)
        known = ev["product_id"].isin(pd.Index(items.ids)).to_numpy()
        ev = ev if known.all() else ev[known]
        per_item = _trend_weights(ev, as_of, p) if trend is None else trend
        items.trend = _trending(per_item, items.frame)
        rule_rows, rule_matrix = _rule_matrix(rules, items.categories, items.category_code, items.trend)
        cf = Collaborative.build(model, items, tiled=True)
        return cls(model, as_of, items, cf, None, Rules(rule_rows, rule_matrix)), ev

    def with_people(self, ev: pd.DataFrame, customers: pd.DataFrame) -> Context:
        """This context for these customers (ev: clean events, at least theirs; see shared)."""
        return replace(self, people=People.build(ev, customers, self.items, self.as_of, self.model.params))


def _rule_matrix(rules, categories, category_code, trend) -> tuple[pd.DataFrame, sp.csr_matrix]:
    """Rules as a category x item matrix; accessories: the best of the category first (trend percentile)."""
    cat_lookup = {c: k for k, c in enumerate(categories)}
    trend_pct = pd.Series(trend).groupby(category_code).rank(pct=True).to_numpy(np.float32)
    known = rules["if_category"].isin(cat_lookup) & rules["then_category"].isin(cat_lookup)
    rule_rows = pd.DataFrame(
        {
            "if_cat": rules.loc[known, "if_category"].map(cat_lookup).to_numpy(dtype=np.int64),
            "then_cat": rules.loc[known, "then_category"].map(cat_lookup).to_numpy(dtype=np.int64),
            "boost": rules.loc[known, "boost"].to_numpy(dtype=float),
        }
    )
    n_items = len(category_code)
    entries = rule_rows.merge(
        pd.DataFrame({"then_cat": category_code, "item": np.arange(n_items), "quality": 0.5 + 0.5 * trend_pct}),
        on="then_cat",
    )
    entries = (entries["boost"] * entries["quality"]).groupby([entries["if_cat"], entries["item"]]).max()
    # per category bought, the RULE_ITEMS best products its rules point at: a rule names a category of
    # accessories, and in a large catalogue the best of them are all that can reach ten slots
    entries = entries.sort_values(ascending=False, kind="stable")
    entries = entries[entries.groupby(level=0).cumcount() < RULE_ITEMS].sort_index()
    matrix = sp.csr_matrix(
        (
            entries.to_numpy(np.float32),
            (entries.index.get_level_values(0).to_numpy(), entries.index.get_level_values(1).to_numpy()),
        ),
        (len(categories), n_items),
    )
    return rule_rows, matrix


def _trend_weights(ev: pd.DataFrame, as_of: pd.Timestamp, params: Params) -> pd.Series:
    """Per product: its interactions' weights, halved every trending_half_life_days of age.

    On coded events (codes.py: products numbered from 0, kinds a categorical, times datetime64) the ages, the
    weights and the groups come from the arrays: the same numbers as the Series arithmetic and the group by
    product id below (pandas sums each group the same way, in row order), in about 0.6 of the time: a retrain
    sums them three times and each scoring once, about 2 s each at 1,000,000 contacts."""
    product, kind, moment = ev["product_id"].to_numpy(), ev["interaction_type"], ev["occurred_at"].to_numpy()
    unit = np.datetime_data(moment.dtype)[0] if moment.dtype.kind == "M" else None
    # times to the microsecond at most (pandas' nanosecond differences divide otherwise: left to pandas)
    coarse = ("s", "ms", "us")
    if not (
        len(ev) and product.dtype.kind == "i" and product.min() >= 0 and isinstance(kind.dtype, pd.CategoricalDtype)
        and unit in coarse and isinstance(as_of, pd.Timestamp) and as_of.tzinfo is None and as_of.unit in coarse
        and not np.isnat(moment).any() and (kind.cat.codes.to_numpy() >= 0).all()
    ):  # fmt: skip
        age = (as_of - ev["occurred_at"]).dt.total_seconds() / 86400
        w = ev["interaction_type"].map(params.weights()).astype(float) * 0.5 ** (age / params.trending_half_life_days)
        return w.groupby(ev["product_id"]).sum()
    # (as_of - time).dt.total_seconds(): the difference in the finer of the two units, as pandas takes it,
    # divided by that unit's count per second
    finer = min((unit, as_of.unit), key=lambda name: np.timedelta64(1, name) // np.timedelta64(1, "ns"))
    if finer != unit:
        moment = moment.astype(f"datetime64[{finer}]")
    per_second = np.timedelta64(1, "s") // np.timedelta64(1, finer)
    age = (np.datetime64(as_of.as_unit(finer).asm8).astype(np.int64) - moment.view(np.int64)) / per_second / 86400
    weights = params.weights()
    by_kind = np.array([weights.get(name, np.nan) for name in kind.cat.categories], dtype=float)
    w = by_kind[kind.cat.codes.to_numpy()] * 0.5 ** (age / params.trending_half_life_days)
    groups = pd.Categorical.from_codes(product, categories=np.arange(int(product.max()) + 1, dtype=product.dtype))
    summed = pd.Series(w).groupby(groups, observed=True).sum()
    index = pd.Index(summed.index.to_numpy(product.dtype), name=ev["product_id"].name)
    return pd.Series(summed.to_numpy(), index=index)


def _trending(per_item: pd.Series, catalogue: pd.DataFrame) -> np.ndarray:
    trend = catalogue["product_id"].map(per_item).fillna(0.0).to_numpy()
    # never-seen items: a tiny tie-break by price keeps the order deterministic
    price = pd.to_numeric(catalogue["price"], errors="coerce").fillna(0).to_numpy()
    return trend + 1e-9 * price / (price.max() + 1.0)


def candidates(ctx: Context) -> pd.DataFrame:
    """Per warm customer: the best new products by the hybrid score, and the bought products that may come back.

    A bought product is a candidate when its repeat rate reaches repeat_exclude_rate. `value` is the
    score without a ranker: the hybrid score (with rule boosts) for a new product; for a bought one,
    rate x how due it is when the rate reaches repeat_min_rate, else 0 (not recommended).
    """
    p = ctx.model.params
    bought = ctx.people.bought
    bought_u, bought_i = bought["u"].to_numpy(), bought["i"].to_numpy()
    # buy-again candidates: the customer's bought products (the strongest first) that may come back
    rate = ctx.items.repeat_rate[bought_i]
    days_since = ((ctx.as_of - bought["last_purchased_at"]).dt.total_seconds() / 86400).to_numpy(np.float32)
    due = np.clip(days_since / ctx.items.repurchase_days[bought_i], 0, 1)
    rebuy = pd.DataFrame({"u": bought_u, "i": bought_i, "strength": bought["strength"].to_numpy(),
                          "value": np.where(rate >= p.repeat_min_rate, rate * due, 0).astype(np.float32)})  # fmt: skip
    rebuy = rebuy[(rate >= p.repeat_exclude_rate) & ctx.items.active[bought_i]]
    rebuy = rebuy.sort_values(["u", "strength", "i"], ascending=[True, False, True])
    rebuy = rebuy[rebuy.groupby("u").cumcount() < p.rebuy_candidates]

    warm = np.flatnonzero(np.diff(ctx.people.profile.indptr) > 0)
    found = [
        _candidates_of(ctx, warm[start : start + p.batch_size], rebuy) for start in range(0, len(warm), p.batch_size)
    ]
    found = [f for f in found if len(f)]
    if not found:
        return pd.DataFrame(columns=["u", "i", "value", "is_rebuy", "collaborative", "content", "hybrid", "rule",
                                     *ranker.FEATURES])  # fmt: skip
    return _with_features(ctx, pd.concat(found, ignore_index=True))


def _top_per_row(r: np.ndarray, score: np.ndarray, m: int) -> np.ndarray:
    """Positions of each row's m best entries (score descending, ties by position) among entries listed by row."""
    order = np.lexsort((-score, r))
    keep = rank_within(r[order]) < m
    return order[keep]


def _top_per_row_csr(matrix: sp.csr_matrix, m: int) -> np.ndarray:
    """Positions in matrix.data of each row's m largest positive entries, ascending (ties: the first stored).

    A row with at most m positive entries keeps them all; only the rows with more are padded to one width
    and partitioned (_best_positive). At 1,000,000 contacts nearly every stored score was 0 (products the
    collaborative part covers), and padding every row to the longest took about 8% of scoring's time.
    """
    if matrix.nnz == 0:
        return np.zeros(0, np.int64)
    positive = matrix.data > 0
    running = np.r_[0, np.cumsum(positive)]
    n_positive = running[matrix.indptr[1:]] - running[matrix.indptr[:-1]]
    long_rows = np.flatnonzero(n_positive > m)
    if len(long_rows):
        starts, lengths = matrix.indptr[long_rows], np.diff(matrix.indptr)[long_rows]
        r = np.repeat(np.arange(len(long_rows)), lengths)
        slot = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        at = starts[r] + slot  # the long rows' entries in matrix.data
        padded = np.full((len(long_rows), int(lengths.max())), -np.inf, np.float32)
        padded[r, slot] = matrix.data[at]
        rr, cc = _best_positive(padded, m)
        positive[at] = False
        positive[starts[rr] + cc] = True
    return np.flatnonzero(positive)


def _best_positive(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of each row's k largest positive values, in row and column order.

    Of the values equal to a row's k-th largest, those in its first columns until k: the same picks for any
    width and batch. Only the values at or above a floor are ranked: the k-th largest of the maxima of 2k
    column blocks, which k blocks reach, so the row's k best do too. At 1,000,000 contacts about 40 of a
    row's 5,000 scores reach it; partitioning every row (_best_positive_partitioned, kept for narrow rows)
    was about a sixth of scoring's time. The dense scores are picked the same way, row by row, in
    _dense_picks; this serves the sparse discoveries' long rows (_top_per_row_csr).
    """
    n_rows, width = values.shape
    k = min(k, width)
    if k == 0 or n_rows == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if width < 8 * k:  # blocks of under four columns: little to skip
        return _best_positive_partitioned(values, k)
    tops = np.negative(np.fmax.reduceat(values, (np.arange(2 * k) * width) // (2 * k), axis=1))
    tops.partition(k - 1, axis=1)
    tiny = np.nextafter(values.dtype.type(0), values.dtype.type(1))
    floor = np.fmax(-tops[:, k - 1 : k], tiny)  # only positive values are picked
    r, c = np.nonzero(values >= floor)
    v = values[r, c]
    counts = np.bincount(r, minlength=n_rows)
    first = np.cumsum(counts) - counts
    # each row's candidates side by side, negated (numpy selects near the start faster), padded with +inf
    padded = np.full((n_rows, max(int(counts.max()), k)), np.inf, values.dtype)
    padded[r, np.arange(len(r)) - np.repeat(first, counts)] = np.negative(v)
    padded.partition(k - 1, axis=1)
    at = -padded[r, k - 1]  # the row's k-th largest; -inf where fewer than k reach the floor: all are kept
    del padded
    keep = v >= at
    tied_rows = np.bincount(r[keep], minlength=n_rows) > k  # more than k reach the k-th value: ties at it
    if tied_rows.any():
        in_tied = tied_rows[r]
        above, tied = in_tied & (v > at), in_tied & (v == at)
        tied_so_far = np.cumsum(tied)
        tied_before_row = np.r_[0, tied_so_far][first]
        room = k - np.bincount(r[above], minlength=n_rows)
        keep[in_tied] = (above | (tied & (tied_so_far - tied_before_row[r] <= room[r])))[in_tied]
    return r[keep], c[keep]


def _best_positive_partitioned(values: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """_best_positive by partitioning every row: a partition finds the k-th value of every row, the rest is
    comparisons."""
    negated = np.negative(values)  # the k-th smallest of the negated values: numpy selects near the start faster
    negated.partition(k - 1, axis=1)  # in place: the copy np.partition would make is not needed
    kth = -negated[:, k - 1 : k]
    del negated
    keep = values >= kth
    keep &= values > 0
    tied_rows = np.flatnonzero(keep.sum(axis=1) > k)  # more than k reach the k-th value: ties at it
    if len(tied_rows):
        some, at = values[tied_rows], kth[tied_rows]
        above = some > at
        tied = some == at
        keep[tied_rows] = above | (tied & (np.cumsum(tied, axis=1) <= k - above.sum(axis=1, keepdims=True)))
    return np.nonzero(keep)


@dataclass
class _Batch:
    """One batch of warm customers (rows; r indexes them) and the sparse parts of their scores."""

    rows: np.ndarray
    profile: sp.csr_matrix  # the batch's rows of the profile matrix
    c_user: np.ndarray
    content: sp.csr_matrix  # content scores, scaled so each row's best is content_weight
    content_r: np.ndarray  # the row of each stored content score
    content_key: np.ndarray  # (row, item) of each stored content score as one integer: row x n_items + item
    rule: sp.csr_matrix  # rule boosts
    rule_key: np.ndarray
    owned_r: np.ndarray  # (row, item) of the products the batch's customers bought
    owned_i: np.ndarray
    m: int  # discovery candidates per customer
    n_items: int

    @classmethod
    def build(cls, ctx: Context, rows: np.ndarray) -> _Batch:
        p = ctx.model.params
        n_items = len(ctx.items.frame)
        nb = len(rows)
        prof_b = ctx.people.profile[rows]
        ct = sorted_product(prof_b, ctx.items.content)  # columns ascending: content_key is sorted
        ct_max = ct.max(axis=1).toarray().ravel() if ct.nnz else np.zeros(nb, np.float32)
        scale = (p.content_weight / np.maximum(ct_max, 1e-12)).astype(np.float32)
        ct_r = np.repeat(np.arange(nb), np.diff(ct.indptr))
        ct.data = (ct.data * scale[ct_r]).astype(np.float32)
        ru = sorted_product(ctx.people.owned_category[rows], ctx.rules.matrix)
        ru_r = np.repeat(np.arange(nb), np.diff(ru.indptr))
        bought_u = ctx.people.bought["u"].to_numpy()
        lo, hi = np.searchsorted(bought_u, [rows[0], rows[-1] + 1])
        return cls(
            rows=rows,
            profile=prof_b,
            c_user=ctx.people.c_user[rows],
            content=ct,
            content_r=ct_r,
            # sorted: rows, then items, so lookups can search them
            content_key=ct_r.astype(np.int64) * n_items + ct.indices,
            rule=ru,
            rule_key=ru_r.astype(np.int64) * n_items + ru.indices,
            owned_r=np.searchsorted(rows, bought_u[lo:hi]),
            owned_i=ctx.people.bought["i"].to_numpy()[lo:hi],
            m=min(n_items, p.discover_candidates),
            n_items=n_items,
        )

    def content_at(self, keys: np.ndarray) -> np.ndarray:
        return _lookup(keys, self.content_key, self.content.data)

    def rule_at(self, keys: np.ndarray) -> np.ndarray:
        return _lookup(keys, self.rule_key, self.rule.data)


def _lookup(keys: np.ndarray, table_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values at keys in a sorted key table, 0 where a key is not in it."""
    if len(table_keys) == 0:
        return np.zeros(len(keys), np.float32)
    at = positions_in_sorted(keys, table_keys)
    return np.where(at >= 0, values[np.maximum(at, 0)], 0).astype(np.float32)


def _candidates_of(ctx: Context, rows: np.ndarray, rebuy: pd.DataFrame) -> pd.DataFrame:
    """The candidates of one batch of warm customers (rows), with their score parts.

    hybrid = trust x collaborative + (1 - trust) x content, trust = customer confidence x item
    confidence, plus rule boosts. Collaborative scores are dense over the EASE items; content and
    rules are sparse (each product's nearest products, each rule's products), so the work grows with
    what the customers' profiles reach, not with the catalogue.
    """
    batch = _Batch.build(ctx, rows)
    parts = []
    cf = None
    if len(ctx.cf.pos):
        cf, dense = _dense_discoveries(ctx, batch)
        parts.append(dense)
    sparse = _sparse_discoveries(ctx, batch)
    if sparse is not None:
        parts.append(sparse)
    disc = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["r", "i", "value"])
    if len(disc):  # the best m of both parts
        disc = disc.iloc[_top_per_row(disc["r"].to_numpy(), disc["value"].to_numpy(float), batch.m)]
    disc = disc.assign(is_rebuy=False)
    both = pd.concat([disc, _rebuy_parts(ctx, batch, rebuy, cf)], ignore_index=True)
    both["u"] = rows[both["r"].to_numpy(np.int64)]
    both["i"] = both["i"].astype(np.int64)
    return both.drop(columns="r")


def _dense_discoveries(ctx: Context, batch: _Batch) -> tuple[np.ndarray, pd.DataFrame]:
    """Collaborative scores over the EASE items (dense) and the batch's best m new products among them.

    The collaborative scores of the whole batch come first, DENSE_TILE_COLUMNS columns at a time; then each row
    is scaled, scored and picked by a compiled loop (_dense_picks), one row at a time, so its values stay in the
    processor's cache. Returns cf scaled (the rows' collaborative scores, best 1), as the rebuy parts read it.
    """
    profile, content, rule = (part[:, ctx.cf.pos] for part in (batch.profile, batch.content, batch.rule))
    c_item, active = ctx.items.c_item[ctx.cf.pos], ctx.items.active[ctx.cf.pos]
    owned_cf = ctx.cf.column[batch.owned_i] >= 0
    owned_r, owned_col = batch.owned_r[owned_cf], ctx.cf.column[batch.owned_i[owned_cf]]  # rows ascending
    cf = np.empty((len(batch.rows), len(ctx.cf.pos)), np.float32)
    start = 0
    for tile in ctx.cf.tiles:  # made by Context.shared, the only context scoring gets
        cf[:, start : start + tile.shape[1]] = profile @ tile
        start += tile.shape[1]

    k = min(batch.m, cf.shape[1])
    picks = {name: np.empty(len(batch.rows) * k, kind) for name, kind in _PICK_COLUMNS.items()}
    n = _dense_picks(cf, batch.c_user, c_item, active, content.indptr, content.indices, content.data, rule.indptr,
                     rule.indices, rule.data, np.searchsorted(owned_r, np.arange(len(batch.rows) + 1)), owned_col, k,
                     np.nextafter(np.float32(0), np.float32(1)), *picks.values())  # fmt: skip
    found = pd.DataFrame({name: values[:n] for name, values in picks.items()})
    found["i"] = ctx.cf.pos[found["i"].to_numpy()]
    return cf, found


# what _dense_picks writes per pick: the batch row, the column among the EASE items, and the score's parts
_PICK_COLUMNS = {"r": np.int64, "i": np.int64, "value": np.float32, "collaborative": np.float32,
                 "content": np.float32, "hybrid": np.float32, "rule": np.float32}  # fmt: skip


def _dense_picks_loop(cf, c_user, c_item, active, ct_indptr, ct_indices, ct_data,  # pragma: no cover - compiled
                      ru_indptr, ru_indices, ru_data, owned_ptr, owned_col, k, tiny,
                      out_r, out_i, out_value, out_collab, out_content, out_hybrid, out_rule):  # fmt: skip
    """Per row of cf: scales it (negatives 0, the best 1), scores each column, and writes the row's k best
    positive scores (ties: the first columns) with their parts, in row and column order; returns how many.

    score = cf x trust + content x (1 - trust) + rule, trust = c_user x c_item, float32 in that order (the
    numpy expression's values to the bit); 0 for inactive and owned products. Only the scores at or above a
    floor are ranked: the k-th largest of the maxima of 2k column blocks, which k blocks reach, so the row's
    k best do too (about 40 of 5,000 at 1,000,000 contacts).
    """
    n_rows, width = cf.shape
    one, smallest = np.float32(1), np.float32(1e-12)
    content = np.zeros(width, np.float32)
    rule = np.zeros(width, np.float32)
    score = np.empty(width, np.float32)
    hybrid = np.empty(width, np.float32)
    n_blocks = min(2 * k, width)
    tops = np.empty(n_blocks, np.float32)
    chosen = np.empty(width, np.int64)
    n = 0
    for r in range(n_rows):
        row = cf[r]
        best = np.float32(0)
        for j in range(width):
            if row[j] < 0:
                row[j] = 0
            if row[j] > best:
                best = row[j]
        scale = best if best > smallest else smallest
        for j in range(width):
            row[j] = row[j] / scale
        for e in range(ct_indptr[r], ct_indptr[r + 1]):
            content[ct_indices[e]] += ct_data[e]
        for e in range(ru_indptr[r], ru_indptr[r + 1]):
            rule[ru_indices[e]] += np.float32(ru_data[e])
        for j in range(width):
            trust = c_user[r] * c_item[j]
            h = row[j] * trust + content[j] * (one - trust)
            hybrid[j] = h
            score[j] = h + rule[j] if active[j] else 0
        for e in range(owned_ptr[r], owned_ptr[r + 1]):
            score[owned_col[e]] = 0
        if k > 0:
            for b in range(n_blocks):
                top = -np.inf
                for j in range((b * width) // n_blocks, ((b + 1) * width) // n_blocks):
                    if score[j] > top:
                        top = score[j]
                tops[b] = top
            floor = np.sort(tops)[n_blocks - k]
            if floor < tiny:  # only positive scores are picked
                floor = tiny
            n_chosen = 0
            for j in range(width):
                if score[j] >= floor:
                    chosen[n_chosen] = j
                    n_chosen += 1
            kth = -np.inf  # fewer than k reach the floor: all are picked
            if n_chosen > k:
                values = np.empty(n_chosen, np.float32)
                for c in range(n_chosen):
                    values[c] = score[chosen[c]]
                kth = np.sort(values)[n_chosen - k]
            room = k
            for c in range(n_chosen):
                if score[chosen[c]] > kth:
                    room -= 1
            for c in range(n_chosen):
                j = chosen[c]
                if score[j] > kth or (score[j] == kth and room > 0):
                    if score[j] == kth:
                        room -= 1
                    out_r[n], out_i[n], out_value[n], out_collab[n] = r, j, score[j], row[j]
                    out_content[n], out_hybrid[n], out_rule[n] = content[j], hybrid[j], rule[j]
                    n += 1
        for e in range(ct_indptr[r], ct_indptr[r + 1]):
            content[ct_indices[e]] = 0
        for e in range(ru_indptr[r], ru_indptr[r + 1]):
            rule[ru_indices[e]] = 0
    return n


_dense_picks = compiled(_dense_picks_loop)


def _sparse_discoveries(ctx: Context, batch: _Batch) -> pd.DataFrame | None:
    """The batch's best m new products outside the EASE items that content or a rule reaches (None: none)."""
    n_items, c_user, ct, ct_r = batch.n_items, batch.c_user, batch.content, batch.content_r
    nb = len(batch.rows)
    hyb = ct.copy()
    hyb.data = hyb.data * (1 - c_user[ct_r] * ctx.items.c_item[ct.indices])
    value = (hyb + batch.rule).tocsr()
    value.sum_duplicates()
    v_r = np.repeat(np.arange(nb), np.diff(value.indptr))
    v_key = v_r.astype(np.int64) * n_items + value.indices
    out = (ctx.cf.column[value.indices] >= 0) | ~ctx.items.active[value.indices]
    # the batch's bought products among the values: each looked up in v_key (sorted, each key once), which holds
    # tens of times more keys than they are
    at = positions_in_sorted(np.sort(batch.owned_r.astype(np.int64) * n_items + batch.owned_i), v_key)
    out[at[at >= 0]] = True
    value.data[out] = 0
    pick = _top_per_row_csr(value, batch.m)
    if not len(pick):
        return None
    r_s, i_s, key = v_r[pick], value.indices[pick], v_key[pick]
    content = batch.content_at(key)
    return pd.DataFrame({"r": r_s, "i": i_s, "value": value.data[pick], "collaborative": 0.0,
                         "content": content, "hybrid": content * (1 - c_user[r_s] * ctx.items.c_item[i_s]),
                         "rule": batch.rule_at(key)})  # fmt: skip


def _rebuy_parts(ctx: Context, batch: _Batch, rebuy: pd.DataFrame, cf: np.ndarray | None) -> pd.DataFrame:
    """The batch's buy-again candidates with their score parts (cf: the dense collaborative scores, if any)."""
    rows, n_items, c_user = batch.rows, batch.n_items, batch.c_user
    rb_lo, rb_hi = np.searchsorted(rebuy["u"].to_numpy(), [rows[0], rows[-1] + 1])
    rb = rebuy.iloc[rb_lo:rb_hi]
    r_b, i_b = np.searchsorted(rows, rb["u"].to_numpy()), rb["i"].to_numpy()
    k_b = r_b.astype(np.int64) * n_items + i_b
    col = ctx.cf.column[i_b]
    collab = (
        np.where(col >= 0, cf[r_b, np.maximum(col, 0)], 0).astype(np.float32) if cf is not None else np.zeros(len(rb))
    )
    content = batch.content_at(k_b)
    trust = c_user[r_b] * ctx.items.c_item[i_b]
    return pd.DataFrame({"r": r_b, "i": i_b, "value": rb["value"].to_numpy(), "collaborative": collab,
                         "content": content, "hybrid": collab * trust + content * (1 - trust),
                         "rule": batch.rule_at(k_b), "is_rebuy": True})  # fmt: skip


def _with_features(ctx: Context, cands: pd.DataFrame) -> pd.DataFrame:
    """The ranker's features for each candidate (see python_udfs/recs/ranker.py)."""
    u, i = cands["u"].to_numpy(), cands["i"].to_numpy()
    own = ctx.people.prof.set_index(["u", "i"])[
        ["strength", "weight", "position", "purchased", "orders", "recent", "last_purchased_at", "first_purchased_at"]
    ]
    own = own.reindex(pd.MultiIndex.from_arrays([u, i]))
    days_since = (ctx.as_of - own["last_purchased_at"]).dt.total_seconds().to_numpy() / 86400
    span = (own["last_purchased_at"] - own["first_purchased_at"]).dt.total_seconds().to_numpy() / 86400
    orders = own["orders"].fillna(0).to_numpy()
    own_gap = np.where(orders >= 2, span / np.maximum(orders - 1, 1), np.nan)
    item_gap = ctx.items.repurchase_days[i]
    facts = ctx.people.facts
    cands = cands.assign(
        is_bought=own["purchased"].fillna(False).to_numpy(np.float32),
        own_orders=orders,
        own_recent=own["recent"].fillna(0).to_numpy(),
        own_days_since=days_since,
        own_gap_days=own_gap,
        own_due=days_since / own_gap,
        item_repeat_rate=ctx.items.repeat_rate[i],
        item_gap_days=item_gap,
        item_due=days_since / item_gap,
        profile_position=own["position"].to_numpy(),
        profile_weight=own["weight"].fillna(0).to_numpy(),
        customer_confidence=ctx.people.c_user[u],
        item_confidence=ctx.items.c_item[i],
        log_buyers=np.log1p(ctx.items.seen[i]),
        log_trend=np.log1p(ctx.items.trend[i]),
        customer_items=facts["customer_items"].to_numpy()[u],
        customer_orders=facts["customer_orders"].to_numpy()[u],
        customer_days_since=facts["customer_days_since"].to_numpy()[u],
        customer_repeat_share=facts["customer_repeat_share"].to_numpy()[u],
    )
    return cands
