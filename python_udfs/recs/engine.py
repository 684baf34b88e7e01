"""The recommender: a hybrid of EASE and content similarity, repeat purchase, rules and trending.

fit() learns what needs the whole history (the EASE weights, how many people
saw each item, which items are bought again and after how long); recommend()
scores customers with a fitted model and today's interactions, so a score-only
job reuses the last fit. evaluate() fits on everything before a cut-off and
measures on the purchases after it.

Per customer and product the scores are:
- collaborative: EASE weights applied to the customer's profile, where a
  profile is the customer's interactions, each weighted by its kind
  (purchase > cart > click > view), decayed with age in days, and decayed again
  with its position among the customer's own interactions (the most recent
  ones say most about what comes next);
- content: the same profile through a TF-IDF similarity of category, brand,
  price band and name tokens, for items and customers with little history;
- hybrid: collaborative x (customer confidence x item confidence) + content x
  the rest, where confidence = seen / (seen + k);
- rule: seeded boosts (bought a main item of category X: its accessories in Y);
- repeat: an item bought before comes back only if the data says such items
  are bought again (its re-purchase rate, smoothed toward its category's), when
  it is due; every other item is excluded once bought;
- trending: the fill when the personal candidates run out, first in the
  customer's preferred category, then overall.
Inactive products never appear; at most max_per_category items per category
(relaxed only when the catalogue cannot fill the list otherwise).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from python_udfs.recs.collaborative import ease, keep_top, popularity
from python_udfs.recs.metrics import ranking_metrics, top_k_frame

KINDS = ["purchase", "cart", "click", "view"]
# sources are carried as small integer codes while ranking, named at the end
SOURCES = np.array(["collaborative", "content", "rule", "repeat", "trending"])
REPEAT, TRENDING = 3, 4
# customers per chunk of the trending fill (an execution detail: it changes memory, not recommendations)
FILL_CHUNK = 20_000


@dataclass(frozen=True)
class Params:
    top_n: int = 10
    ease_lambda: float = 250.0
    purchase_weight: float = 1.0
    cart_weight: float = 0.5
    click_weight: float = 0.3
    view_weight: float = 0.2
    half_life_days: float = 180.0
    profile_half_life_items: float = 10.0
    profile_items: int = 50
    content_weight: float = 0.3
    content_neighbours: int = 50
    customer_confidence_k: float = 2.0
    item_confidence_k: float = 5.0
    repeat_min_rate: float = 0.3
    repeat_prior: float = 20.0
    trending_half_life_days: float = 14.0
    max_per_category: int = 3
    batch_size: int = 2000

    def weights(self) -> dict[str, float]:
        return {
            "purchase": self.purchase_weight,
            "cart": self.cart_weight,
            "click": self.click_weight,
            "view": self.view_weight,
        }

    def version(self, window: tuple[str, str]) -> str:
        payload = json.dumps({"params": asdict(self), "window": window}, sort_keys=True)
        return "recommendations-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


@dataclass
class Recommender:
    params: Params
    cf_items: np.ndarray  # product ids, in the order of b's rows and columns
    b: np.ndarray  # EASE weights
    seen: pd.Series  # product_id -> distinct customers who interacted with it
    repeat: pd.DataFrame  # product_id -> repeat_rate, repurchase_days
    as_of: pd.Timestamp


def _clean_events(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    out = events[["customer_id", "product_id", "interaction_type", "occurred_at", "order_id"]].copy()
    out["occurred_at"] = pd.to_datetime(out["occurred_at"])
    out = out[out["occurred_at"] < as_of]
    return out[out["interaction_type"].isin(KINDS)].reset_index(drop=True)


def _repeat_rates(events: pd.DataFrame, products: pd.DataFrame, params: Params) -> pd.DataFrame:
    """Per product: how often its buyers, when they buy in its category again, buy this same item again.

    Only buyers who did buy in the category again count (eligible), so the rate
    separates items people re-stock (coffee pods: the same pod again) from
    items they replace with another (a book: a different book), whatever the
    customers' buying frequency. Smoothed toward the category's rate with
    repeat_prior pseudo-buyers; repurchase_days is the median gap between
    purchases of the same item (the category's when the item has none).
    """
    category = products.drop_duplicates("product_id").set_index("product_id")["category"]
    purchases = events[events["interaction_type"] == "purchase"].assign(
        category=lambda f: f["product_id"].map(category)
    )
    if purchases.empty:  # nothing bought yet: nothing is known to come back
        return pd.DataFrame({"repeat_rate": 0.0, "repurchase_days": 30.0}, index=category.index)
    per_pair = (
        purchases.groupby(["customer_id", "product_id"])
        .agg(
            orders=("occurred_at", "nunique"),
            first=("occurred_at", "min"),
            last=("occurred_at", "max"),
            category=("category", "first"),
        )
        .reset_index()
    )
    category_last = purchases.groupby(["customer_id", "category"])["occurred_at"].max().rename("category_last")
    per_pair = per_pair.join(category_last, on=["customer_id", "category"])
    per_pair["eligible"] = per_pair["category_last"] > per_pair["first"]
    per_pair["rebought"] = per_pair["orders"] >= 2
    gap = (per_pair["last"] - per_pair["first"]).dt.total_seconds() / 86400 / (per_pair["orders"] - 1).clip(lower=1)
    per_pair["gap_days"] = gap.where(per_pair["rebought"])
    eligible = per_pair[per_pair["eligible"]]
    per_item = eligible.groupby("product_id").agg(eligible=("rebought", "size"), rebuyers=("rebought", "sum"))
    per_item = per_item.join(per_pair.groupby("product_id")["gap_days"].median())
    per_cat = eligible.groupby("category").agg(cat_eligible=("rebought", "size"), cat_rebuyers=("rebought", "sum"))
    per_cat = per_cat.join(per_pair.groupby("category")["gap_days"].median().rename("cat_gap"))
    overall = eligible["rebought"].mean() if len(eligible) else 0.0
    per_cat["cat_rate"] = (per_cat["cat_rebuyers"] + params.repeat_prior * overall) / (
        per_cat["cat_eligible"] + params.repeat_prior
    )
    out = pd.DataFrame(index=category.index)
    out["category"] = category
    out = out.join(per_item).join(per_cat[["cat_rate", "cat_gap"]], on="category")
    out[["eligible", "rebuyers"]] = out[["eligible", "rebuyers"]].fillna(0)
    prior = out["cat_rate"].fillna(overall)
    out["repeat_rate"] = (out["rebuyers"] + params.repeat_prior * prior) / (out["eligible"] + params.repeat_prior)
    out["repurchase_days"] = out["gap_days"].fillna(out["cat_gap"]).fillna(30.0).clip(lower=1.0)
    return out[["repeat_rate", "repurchase_days"]]


def fit(events: pd.DataFrame, products: pd.DataFrame, as_of, params: Params = Params()) -> Recommender:
    """Learn the EASE weights, item exposure and repeat-purchase rates from events before as_of."""
    as_of = pd.Timestamp(as_of)
    ev = _clean_events(events, as_of)
    weights = params.weights()
    ev["w"] = ev["interaction_type"].map(weights).astype(float)
    pairs = ev.groupby(["customer_id", "product_id"])["w"].sum().clip(upper=1.0).reset_index()
    cf_items = np.sort(pairs["product_id"].unique())
    customers = pd.Index(pairs["customer_id"].unique())
    rows, cols = customers.get_indexer(pairs["customer_id"]), np.searchsorted(cf_items, pairs["product_id"])
    x = sp.csr_matrix((pairs["w"].to_numpy(), (rows, cols)), shape=(len(customers), len(cf_items)))
    b = ease(x, params.ease_lambda) if len(cf_items) else np.zeros((0, 0), dtype=np.float32)
    seen = pd.Series(popularity(x), index=cf_items)
    return Recommender(params, cf_items, b, seen, _repeat_rates(ev, products, params), as_of)


def _content_similarity(products: pd.DataFrame, neighbours: int) -> sp.csr_matrix:
    """TF-IDF over category, brand, price band (quintile within category) and name tokens; top neighbours."""
    price = pd.to_numeric(products["price"], errors="coerce")
    band = price.groupby(products["category"].fillna("")).rank(pct=True).mul(5).clip(upper=4.999).fillna(-1)
    band = band.astype(int).astype(str)

    def token(prefix: str, values: pd.Series) -> pd.Series:
        return prefix + values.fillna("none").astype(str).str.lower().str.replace(r"\W+", "_", regex=True)

    docs = (
        token("cat_", products["category"]) + " " + token("brand_", products["brand"]) + " "
        + "band_" + products["category"].fillna("").str.lower().str.replace(r"\W+", "_", regex=True) + band + " "
        + products["product_name"].fillna("").str.lower().str.replace(r"[^a-z ]+", " ", regex=True)
    )  # fmt: skip
    tfidf = TfidfVectorizer(token_pattern=r"[a-z_][a-z0-9_]+", sublinear_tf=True).fit_transform(docs)
    sim = (normalize(tfidf) @ normalize(tfidf).T).tocsr()
    sim.setdiag(0)
    sim.eliminate_zeros()
    return keep_top(sim, neighbours).astype(np.float32)


def _profiles(ev: pd.DataFrame, as_of: pd.Timestamp, params: Params) -> pd.DataFrame:
    """Per customer and product: decayed strength, profile weight, purchase facts."""
    ev = ev.copy()
    age = (as_of - ev["occurred_at"]).dt.total_seconds() / 86400
    ev["strength"] = ev["interaction_type"].map(params.weights()).astype(float) * 0.5 ** (age / params.half_life_days)
    ev["is_purchase"] = ev["interaction_type"] == "purchase"
    ev["purchase_at"] = ev["occurred_at"].where(ev["is_purchase"])
    agg = (
        ev.groupby(["customer_id", "product_id"])
        .agg(
            strength=("strength", "sum"),
            last_at=("occurred_at", "max"),
            last_purchased_at=("purchase_at", "max"),
            purchased=("is_purchase", "any"),
        )
        .reset_index()
    )
    agg = agg.sort_values(["customer_id", "last_at", "product_id"], ascending=[True, False, True])
    agg["position"] = agg.groupby("customer_id").cumcount()
    agg["weight"] = agg["strength"] * 0.5 ** (agg["position"] / params.profile_half_life_items)
    return agg.reset_index(drop=True)


def _trending(ev: pd.DataFrame, catalogue: pd.DataFrame, as_of: pd.Timestamp, params: Params) -> np.ndarray:
    age = (as_of - ev["occurred_at"]).dt.total_seconds() / 86400
    w = ev["interaction_type"].map(params.weights()).astype(float) * 0.5 ** (age / params.trending_half_life_days)
    per_item = w.groupby(ev["product_id"]).sum()
    trend = catalogue["product_id"].map(per_item).fillna(0.0).to_numpy()
    # never-seen items: a tiny tie-break by price keeps the order deterministic
    price = pd.to_numeric(catalogue["price"], errors="coerce").fillna(0).to_numpy()
    return trend + 1e-9 * price / (price.max() + 1.0)


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
    if_category, then_category, boost. Every customer gets top_n items when the
    active catalogue has that many.
    """
    p = model.params
    as_of = pd.Timestamp(as_of)
    catalogue = products.drop_duplicates("product_id").reset_index(drop=True)
    n_items = len(catalogue)
    if n_items == 0 or len(customers) == 0:  # nothing to recommend, or nobody to recommend to
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "rank": pd.Series(dtype=int),
                             "product_id": pd.Series(dtype=str), "score": pd.Series(dtype=float),
                             "source": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})  # fmt: skip
    item_index = pd.Index(catalogue["product_id"])
    category = catalogue["category"].fillna("Other").to_numpy()
    categories, category_code = np.unique(category, return_inverse=True)
    active = catalogue["is_active"].fillna(False).astype(bool).to_numpy()
    names = catalogue["product_name"].fillna(catalogue["product_id"]).to_numpy()

    ev = _clean_events(events, as_of)
    ev = ev[ev["product_id"].isin(item_index)]
    prof = _profiles(ev, as_of, p)
    cust_ids = customers["customer_id"].drop_duplicates().to_numpy()
    cust_index = pd.Index(cust_ids)
    prof = prof[prof["customer_id"].isin(cust_index)]
    prof["u"] = cust_index.get_indexer(prof["customer_id"])
    prof["i"] = item_index.get_indexer(prof["product_id"])
    top_prof = prof[prof["position"] < p.profile_items]
    profile = sp.csr_matrix(
        (top_prof["weight"].to_numpy(np.float32), (top_prof["u"], top_prof["i"])), shape=(len(cust_ids), n_items)
    )
    n_seen_customer = np.bincount(prof["u"], minlength=len(cust_ids)).astype(np.float32)
    c_user = n_seen_customer / (n_seen_customer + p.customer_confidence_k)

    # the fitted EASE weights, restricted to items still in the catalogue
    keep = np.flatnonzero(item_index.get_indexer(model.cf_items) >= 0)
    cf_pos = item_index.get_indexer(model.cf_items[keep])
    b = model.b[np.ix_(keep, keep)]
    seen = model.seen.reindex(catalogue["product_id"]).fillna(0).to_numpy(np.float32)
    c_item = seen / (seen + p.item_confidence_k)
    content = _content_similarity(catalogue, p.content_neighbours)
    repeat = model.repeat.reindex(catalogue["product_id"])
    repeat_rate = repeat["repeat_rate"].fillna(0).to_numpy(np.float32)
    repurchase_days = repeat["repurchase_days"].fillna(30).to_numpy(np.float32)
    trend = _trending(ev, catalogue, as_of, p)

    bought = prof[prof["purchased"]].sort_values("u", kind="stable")
    bought_u, bought_i = bought["u"].to_numpy(), bought["i"].to_numpy()
    days_since = ((as_of - bought["last_purchased_at"]).dt.total_seconds() / 86400).to_numpy(np.float32)
    due = np.clip(days_since / repurchase_days[bought_i], 0, 1)
    repeat_value = np.where(repeat_rate[bought_i] >= p.repeat_min_rate, repeat_rate[bought_i] * due, 0)
    owned_category = sp.csr_matrix(
        (np.ones(len(bought), np.float32), (bought_u, category_code[bought_i])), (len(cust_ids), len(categories))
    )
    owned_category.data[:] = 1
    cat_lookup = {c: k for k, c in enumerate(categories)}
    # rules as a category x item matrix; accessories: the best of the category first (trend percentile)
    trend_pct = pd.Series(trend).groupby(category_code).rank(pct=True).to_numpy(np.float32)
    known = rules["if_category"].isin(cat_lookup) & rules["then_category"].isin(cat_lookup)
    rule_rows = pd.DataFrame(
        {
            "if_cat": rules.loc[known, "if_category"].map(cat_lookup).to_numpy(dtype=np.int64),
            "then_cat": rules.loc[known, "then_category"].map(cat_lookup).to_numpy(dtype=np.int64),
            "boost": rules.loc[known, "boost"].to_numpy(dtype=float),
        }
    )
    entries = rule_rows.merge(
        pd.DataFrame({"then_cat": category_code, "item": np.arange(n_items), "quality": 0.5 + 0.5 * trend_pct}),
        on="then_cat",
    )
    entries = (entries["boost"] * entries["quality"]).groupby([entries["if_cat"], entries["item"]]).max()
    rule_matrix = sp.csr_matrix(
        (
            entries.to_numpy(np.float32),
            (entries.index.get_level_values(0).to_numpy(), entries.index.get_level_values(1).to_numpy()),
        ),
        (len(categories), n_items),
    )
    cf_column = np.full(n_items, -1)
    cf_column[cf_pos] = np.arange(len(cf_pos))
    inactive = np.flatnonzero(~active)
    # customers with no interactions at all go straight to the trending fill
    warm = np.flatnonzero(np.diff(profile.indptr) > 0)
    chosen = []
    for start in range(0, len(warm), p.batch_size):
        rows = warm[start : start + p.batch_size]
        prof_b = profile[rows]
        score = np.zeros((len(rows), n_items), np.float32)
        cf = np.zeros((len(rows), len(cf_pos)), np.float32)
        if len(cf_pos):
            cf = np.asarray(prof_b[:, cf_pos] @ b, dtype=np.float32)
            np.clip(cf, 0, None, out=cf)
            cf /= np.maximum(cf.max(axis=1, keepdims=True), 1e-12)
            score[:, cf_pos] = cf
        ct = (prof_b @ content).toarray()
        ct *= p.content_weight / np.maximum(ct.max(axis=1, keepdims=True), 1e-12)
        # hybrid = trust x cf + (1 - trust) x content, trust = customer confidence x item confidence
        score -= ct
        score *= c_item[None, :]
        score *= c_user[rows, None]
        score += ct
        rule_b = (owned_category[rows] @ rule_matrix).tocsr()
        coo = rule_b.tocoo()
        score[coo.row, coo.col] += coo.data
        lo, hi = np.searchsorted(bought_u, [rows[0], rows[-1] + 1])
        owned_r = np.searchsorted(rows, bought_u[lo:hi])
        owned_i = bought_i[lo:hi]
        score[owned_r, owned_i] = repeat_value[lo:hi]
        score[:, inactive] = 0
        # candidates: the best few times top_n with a positive score
        m = min(n_items, p.top_n * 4)
        part = np.argpartition(-score, m - 1, axis=1)[:, :m]
        val = np.take_along_axis(score, part, axis=1)
        r_idx, c_idx = np.nonzero(val > 0)
        if len(r_idx) == 0:
            continue
        items = part[r_idx, c_idx]
        trust = c_user[rows[r_idx]] * c_item[items]
        cf_at = np.where(cf_column[items] >= 0, cf[r_idx, np.maximum(cf_column[items], 0)], 0) if len(cf_pos) else 0
        parts = np.stack(
            [trust * cf_at, (1 - trust) * ct[r_idx, items], np.asarray(rule_b[r_idx, items]).ravel()], axis=1
        )
        is_repeat = np.isin(r_idx.astype(np.int64) * n_items + items, owned_r.astype(np.int64) * n_items + owned_i)
        source = np.where(is_repeat, REPEAT, parts.argmax(1)).astype(np.int8)
        chosen.append(
            pd.DataFrame({"u": rows[r_idx], "i": items, "score": val[r_idx, c_idx], "source": source, "priority": 0})
        )
    personal = (
        pd.concat(chosen, ignore_index=True)
        if chosen
        else pd.DataFrame({"u": [], "i": [], "score": [], "source": [], "priority": []}).astype(
            {"u": int, "i": int, "score": float, "priority": int}
        )
    )
    picks = _diversify(personal, category_code, p.max_per_category, p.top_n)
    picks = _fill_with_trending(picks, customers, cust_index, catalogue, category_code, active, trend, bought, p)
    return _with_reasons(picks, cust_ids, catalogue, names, categories, category_code, top_prof, model, b, keep,
                         item_index, content, bought, rule_rows)  # fmt: skip


def _diversify(cands: pd.DataFrame, category_code: np.ndarray, cap: int, top_n: int) -> pd.DataFrame:
    """Best first, at most cap per category, top_n per customer."""
    if cands.empty:
        return cands.assign(category=pd.Series(dtype=int))
    u, i = cands["u"].to_numpy(), cands["i"].to_numpy()
    order = np.lexsort((i, -cands["score"].to_numpy(float), cands["priority"].to_numpy(), u))
    cands = cands.iloc[order].assign(category=category_code[i[order]])
    cands = cands[_rank_within(cands["u"].to_numpy(), cands["category"].to_numpy()) < cap]
    return cands[_rank_within(cands["u"].to_numpy()) < top_n].reset_index(drop=True)


def _rank_within(u: np.ndarray, group: np.ndarray | None = None) -> np.ndarray:
    """0-based position of each row among earlier rows with the same u (and group); rows sorted by u."""
    key = u.astype(np.int64) if group is None else u.astype(np.int64) * (int(group.max()) + 1) + group
    if group is not None:  # rows of one customer are contiguous, but their groups interleave
        order = np.argsort(key, kind="stable")
        ranks = np.empty(len(key), np.int64)
        ranks[order] = _rank_within(key[order])
        return ranks
    starts = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(len(key)), 0))
    return np.arange(len(key)) - first


def _fill_with_trending(picks, customers, cust_index, catalogue, category_code, active, trend, bought, p):
    """Customers short of top_n: trending in their preferred category, then overall; cap relaxed last.

    Each customer's fill is independent of the others', so the short customers go in chunks of
    FILL_CHUNK: the candidate frame is tens of rows per customer, and at 100,000 customers, most of them
    cold, one frame for all of them took 1.3 GB.
    """
    counts = picks.groupby("u").size().reindex(np.arange(len(cust_index)), fill_value=0)
    short = counts[counts < p.top_n].index.to_numpy()
    if len(short) == 0:
        return picks
    pool = np.flatnonzero(active)
    pool = pool[np.argsort(-trend[pool], kind="stable")]
    depth = min(len(pool), p.top_n * 3 + p.max_per_category * 3)
    overall = pool[:depth]
    preferred = customers.drop_duplicates("customer_id").set_index("customer_id")["preferred_category"]
    cat_names = catalogue["category"].fillna("Other").to_numpy()
    n_items = len(catalogue)
    owned_all = bought["u"].to_numpy(np.int64) * n_items + bought["i"].to_numpy()
    short_picks = picks[picks["u"].isin(short)]

    def fill_chunk(chunk: np.ndarray) -> pd.DataFrame:
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
        fill = fill[~np.isin(fill["u"].to_numpy(np.int64) * n_items + fill["i"].to_numpy(), owned_all)]
        existing = short_picks[short_picks["u"].isin(chunk)]
        merged = pd.concat([existing, fill], ignore_index=True)
        _, first = np.unique(merged["u"].to_numpy(np.int64) * n_items + merged["i"].to_numpy(), return_index=True)
        merged = merged.iloc[np.sort(first)]
        capped = _diversify(merged, category_code, p.max_per_category, p.top_n)
        counts = capped.groupby("u").size().reindex(chunk, fill_value=0)
        still = counts[counts < p.top_n].index
        if len(still):  # a small catalogue: relax the per-category cap rather than send fewer items
            relaxed = _diversify(merged[merged["u"].isin(still)], category_code, p.top_n, p.top_n)
            capped = pd.concat([capped[~capped["u"].isin(still)], relaxed], ignore_index=True)
        return capped

    filled = [fill_chunk(short[start : start + FILL_CHUNK]) for start in range(0, len(short), FILL_CHUNK)]
    return pd.concat([picks[~picks["u"].isin(short)], *filled], ignore_index=True)


def _with_reasons(picks, cust_ids, catalogue, names, categories, category_code, top_prof, model, b, keep, item_index,
                  content, bought, rule_rows) -> pd.DataFrame:  # fmt: skip
    picks = picks.sort_values(["u", "priority", "score", "i"], ascending=[True, True, False, True])
    picks["rank"] = picks.groupby("u").cumcount() + 1
    picks = picks.reset_index(drop=True)
    u, i = picks["u"].to_numpy(), picks["i"].to_numpy()
    reason = np.full(len(picks), "", dtype=object)
    src = SOURCES[picks["source"].to_numpy(np.int64)]

    # anchor: of the customer's five heaviest profile items, the one that adds most to this item
    heavy = top_prof.sort_values(["u", "weight"], ascending=[True, False])
    heavy = heavy[heavy.groupby("u").cumcount() < 5]
    slots = heavy.groupby("u").cumcount().to_numpy()
    anchors = np.full((len(cust_ids), 5), -1)
    anchor_w = np.zeros((len(cust_ids), 5), np.float32)
    anchor_bought = np.zeros((len(cust_ids), 5), bool)
    anchors[heavy["u"].to_numpy(), slots] = heavy["i"].to_numpy()
    anchor_w[heavy["u"].to_numpy(), slots] = heavy["weight"].to_numpy()
    anchor_bought[heavy["u"].to_numpy(), slots] = heavy["purchased"].to_numpy()
    a = anchors[u]
    cf_lookup = np.full(len(catalogue), -1)
    cf_lookup[item_index.get_indexer(model.cf_items[keep])] = np.arange(len(keep))
    for kind in ("collaborative", "content"):
        rows = np.flatnonzero(src == kind)
        if len(rows) == 0:
            continue
        aa = a[rows]
        valid = aa >= 0
        if kind == "collaborative":
            ai, ii = cf_lookup[np.maximum(aa, 0)], cf_lookup[i[rows]][:, None]
            ok = valid & (ai >= 0) & (ii >= 0)
            contrib = np.where(ok, b[np.maximum(ai, 0), np.maximum(ii, 0)], -np.inf)
        else:
            flat = np.asarray(content[np.maximum(aa, 0).ravel(), np.repeat(i[rows], 5)]).reshape(aa.shape)
            contrib = np.where(valid, flat, -np.inf)
        with np.errstate(invalid="ignore"):  # -inf x 0 on padding slots, replaced right away
            contrib = np.where(valid, contrib * anchor_w[u[rows]], -np.inf)
        best = contrib.argmax(axis=1)
        anchor = aa[np.arange(len(rows)), best]
        was_bought = anchor_bought[u[rows], best]
        has = anchor >= 0
        verb = np.where(was_bought, "bought", "viewed")
        if kind == "collaborative":
            text = [f"Because you {v} {names[x]}" for v, x in zip(verb, anchor, strict=True)]
            reason[rows] = np.where(has, text, "Popular with customers like you")
        else:
            text = [f"Similar to {names[x]}, which you {v}" for v, x in zip(verb, anchor, strict=True)]
            reason[rows] = np.where(has, text, "Similar to what you looked at")

    rows = np.flatnonzero(src == "rule")
    if len(rows):
        # the customer's most recent purchase in the first rule (seed order) pointing at this item's category
        recent = bought.sort_values("last_purchased_at", ascending=False)
        recent = pd.DataFrame({"u": recent["u"].to_numpy(), "if_cat": category_code[recent["i"].to_numpy()],
                               "anchor": recent["i"].to_numpy()}).drop_duplicates(["u", "if_cat"])  # fmt: skip
        wanted = pd.DataFrame({"row": rows, "u": u[rows], "then_cat": category_code[i[rows]]})
        found = (
            wanted.merge(rule_rows.reset_index(names="rule")[["rule", "if_cat", "then_cat"]], on="then_cat")
            .merge(recent, on=["u", "if_cat"])
            .sort_values(["row", "rule"])
            .drop_duplicates("row")
            .set_index("row")["anchor"]
        )
        anchor = found.reindex(rows).to_numpy()
        reason[rows] = [
            f"Goes with your {names[int(a)]}" if pd.notna(a) else f"Goes with your {categories[c]}"
            for a, c in zip(anchor, wanted["then_cat"].to_numpy(), strict=True)
        ]
    rows = np.flatnonzero(src == "repeat")
    if len(rows):
        last = bought.set_index(["u", "i"])["last_purchased_at"]
        when = last.reindex(pd.MultiIndex.from_arrays([u[rows], i[rows]])).dt.strftime("%d %b %Y").to_numpy()
        reason[rows] = [f"Buy again: you last bought it on {w}" for w in when]
    rows = np.flatnonzero(src == "trending")
    if len(rows):
        prio = picks["priority"].to_numpy()[rows]
        reason[rows] = np.where(prio == 1, "Trending in " + categories[category_code[i[rows]]], "Trending now")
    return pd.DataFrame(
        {
            "customer_id": cust_ids[u],
            "rank": picks["rank"].to_numpy(),
            "product_id": catalogue["product_id"].to_numpy()[i],
            "score": picks["score"].astype(float).to_numpy(),
            "source": src,
            "reason": reason,
        }
    )


def evaluate(
    events: pd.DataFrame,
    products: pd.DataFrame,
    customers: pd.DataFrame,
    rules: pd.DataFrame,
    as_of,
    holdout_days: int,
    params: Params = Params(),
    max_users: int = 5000,
) -> dict:
    """Fit before as_of - holdout_days, recommend, measure on what people bought in the holdout.

    Also measures popularity (most interacted-with active items the customer
    has not bought) on the same customers, so the registry shows the gain.
    """
    as_of = pd.Timestamp(as_of)
    cut = as_of - pd.Timedelta(days=holdout_days)
    ev = _clean_events(events, as_of)
    past, future = ev[ev["occurred_at"] < cut], ev[ev["occurred_at"] >= cut]
    relevant = future[future["interaction_type"] == "purchase"][["customer_id", "product_id"]].drop_duplicates()
    relevant = relevant.rename(columns={"customer_id": "user_id"})
    if relevant.empty or past.empty:
        return {"holdout_days": holdout_days, "users": 0}
    holdout_buyers = np.sort(relevant["user_id"].unique())
    if len(holdout_buyers) > max_users:  # a fixed random sample keeps the evaluation cheap on large shops
        holdout_buyers = np.random.default_rng(7).choice(holdout_buyers, max_users, replace=False)
        relevant = relevant[relevant["user_id"].isin(holdout_buyers)]
    users = customers[customers["customer_id"].isin(holdout_buyers)]
    model = fit(past, products, cut, params)
    recs = recommend(model, past, products, users, rules, cut)
    project = ranking_metrics(recs.rename(columns={"customer_id": "user_id"}), relevant,
                              int(products["is_active"].fillna(False).astype(bool).sum()), params.top_n)  # fmt: skip
    catalogue = products.drop_duplicates("product_id")
    act = catalogue[catalogue["is_active"].fillna(False).astype(bool)]["product_id"]
    pop = past[past["product_id"].isin(act)].groupby("product_id")["customer_id"].nunique()
    # the most popular items each customer has not bought: enough candidates for anyone's exclusions
    owned = past[past["interaction_type"] == "purchase"]
    owned = owned[owned["customer_id"].isin(users["customer_id"])]
    depth = (
        params.top_n + int(owned.groupby("customer_id")["product_id"].nunique().max()) if len(owned) else params.top_n
    )
    pop_items = pop.sort_values(ascending=False, kind="stable").index.to_numpy()[:depth]
    uids = users["customer_id"].to_numpy()
    scores = np.tile(pop.reindex(pop_items).to_numpy(np.float64), (len(uids), 1))
    ui = pd.Index(uids).get_indexer(owned["customer_id"])
    ii = pd.Index(pop_items).get_indexer(owned["product_id"])
    mask = (ui >= 0) & (ii >= 0)
    scores[ui[mask], ii[mask]] = -np.inf
    baseline = ranking_metrics(top_k_frame(scores, uids, pop_items, params.top_n), relevant, len(act), params.top_n)
    k = params.top_n
    return {
        "holdout_days": holdout_days,
        "users": project["users"],
        f"precision@{k}": project[f"precision@{k}"],
        f"recall@{k}": project[f"recall@{k}"],
        f"ndcg@{k}": project[f"ndcg@{k}"],
        "coverage": project["coverage"],
        "popularity": {key: baseline[key] for key in (f"precision@{k}", f"recall@{k}", f"ndcg@{k}", "coverage")},
        "source_mix": recs["source"].value_counts(normalize=True).round(4).to_dict(),
    }
