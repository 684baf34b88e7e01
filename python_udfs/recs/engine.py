"""The recommender: candidates from collaborative filtering, content, rules and the customer's own
purchases, ranked on one scale by a classifier learned from the shop's own recent past.

fit() learns what needs the whole history (the EASE weights, how many people
saw each item, which items are bought again and after how long, and the
ranker); recommend() scores customers with a fitted model and today's
interactions, so a score-only job reuses the last fit. evaluate() fits on
everything before a cut-off and measures on the purchases after it.

Candidates per customer:
- discover: the best new products by a hybrid score. Collaborative: EASE
  weights applied to the customer's profile, where a profile is the customer's
  interactions, each weighted by its kind (purchase > cart > click > view),
  decayed with age in days and again with its position among the customer's
  own interactions. EASE is dense (items x items), so it covers the
  ease_max_items products with the most buyers: on a large catalogue those
  carry the signal, and the long tail is reached by content. Content: the
  same profile through a TF-IDF similarity of category, brand, price band and
  name tokens (python_udfs/recs/content.py, sparse neighbourhoods). Hybrid:
  collaborative x (customer confidence x item confidence) + content x the
  rest, where confidence = seen / (seen + k). Rules: seeded boosts (bought a
  main item of category X: its accessories in Y);
- buy again: the products the customer bought before, unless the data says
  such products do not come back (their re-purchase rate among buyers who
  return to the category is below repeat_exclude_rate: films, books);
- trending: the fill when the personal candidates run out, first in the
  customer's preferred category, then overall.

Ranking (python_udfs/recs/ranker.py): a classifier trained at fit time on
candidates generated ranker_label_days before the fit date and labelled with
what was bought after, so "due again" and "new" compete on one probability
scale, learned per shop with no switch per dataset. With too few purchases to
learn from (a new shop), the hybrid score ranks the discoveries and a bought
product comes back only when its repeat rate reaches repeat_min_rate and its
usual gap has passed. Rule boosts are added on top of either score.
Inactive products never appear; at most max_per_category items per category
(products without a category are not capped; relaxed only when the catalogue
cannot fill the list otherwise); every customer gets top_n distinct active
products when the active catalogue has that many.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from python_udfs.recs import ranker
from python_udfs.recs.collaborative import ease, popularity
from python_udfs.recs.content import content_similarity
from python_udfs.recs.metrics import ranking_metrics, top_k_frame
from python_udfs.registry import hashed_version

KINDS = ["purchase", "cart", "click", "view"]
# sources are carried as small integer codes while ranking, named at the end
SOURCES = np.array(["collaborative", "content", "rule", "repeat", "trending"])
REPEAT, TRENDING = 3, 4
# customers per chunk of the trending fill (an execution detail: it changes memory, not recommendations)
FILL_CHUNK = 20_000
# products per bought category that rules can boost (the best of the accessory categories by trend)
RULE_ITEMS = 200


@dataclass(frozen=True)
class Params:
    top_n: int = 10
    ease_lambda: float = 250.0
    ease_max_items: int = 5000
    purchase_weight: float = 1.0
    cart_weight: float = 0.5
    click_weight: float = 0.3
    view_weight: float = 0.2
    half_life_days: float = 180.0
    profile_half_life_items: float = 10.0
    profile_items: int = 50
    content_weight: float = 0.3
    content_neighbours: int = 50
    content_full_items: int = 5000
    customer_confidence_k: float = 2.0
    item_confidence_k: float = 5.0
    repeat_min_rate: float = 0.3
    repeat_exclude_rate: float = 0.01
    repeat_prior: float = 20.0
    repeat_recent_half_life_days: float = 30.0
    discover_candidates: int = 30
    rebuy_candidates: int = 50
    ranker_label_days: int = 30
    ranker_max_customers: int = 4000
    ranker_min_customers: int = 200
    ranker_min_positives: int = 200
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
        """The registry's version of a recommender fitted with these parameters on this window."""
        return hashed_version("recommendations", {"params": asdict(self), "window": window})


@dataclass
class Recommender:
    params: Params
    cf_items: np.ndarray  # product ids, in the order of b's rows and columns
    b: np.ndarray  # EASE weights
    seen: pd.Series  # product_id -> distinct customers who interacted with it
    repeat: pd.DataFrame  # product_id -> repeat_rate, repurchase_days
    as_of: pd.Timestamp
    ranker: object = None  # xgboost Booster, or None: rank by the hybrid score
    ranker_info: dict = field(default_factory=dict)


EVENT_ORDER = ["customer_id", "product_id", "occurred_at", "interaction_type", "order_id"]


def _in_order(events: pd.DataFrame, products: pd.DataFrame, customers: pd.DataFrame | None = None):
    """The inputs in one fixed order, whatever order the warehouse returned their rows in.

    The catalogue's and the customers' order become index positions that break ties (equal scores,
    equal trend), and the events' order is the order float sums add up in: unsorted, the same data gave
    different lists from run to run (Complete Journey P@10 0.3746-0.3759).
    """
    events = events.sort_values(EVENT_ORDER, kind="stable", na_position="last").reset_index(drop=True)
    products = products.sort_values("product_id", kind="stable").reset_index(drop=True)
    if customers is not None:
        customers = customers.sort_values("customer_id", kind="stable").reset_index(drop=True)
    return events, products, customers


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


def _fit_base(ev: pd.DataFrame, products: pd.DataFrame, as_of: pd.Timestamp, params: Params) -> Recommender:
    """EASE over the ease_max_items most-bought products, exposure counts and repeat rates."""
    ev = ev.assign(w=ev["interaction_type"].map(params.weights()).astype(float))
    pairs = ev.groupby(["customer_id", "product_id"])["w"].sum().clip(upper=1.0).reset_index()
    items = np.sort(pairs["product_id"].unique())
    customers = pd.Index(pairs["customer_id"].unique())
    rows, cols = customers.get_indexer(pairs["customer_id"]), np.searchsorted(items, pairs["product_id"])
    x = sp.csr_matrix((pairs["w"].to_numpy(), (rows, cols)), shape=(len(customers), len(items)))
    seen = pd.Series(popularity(x), index=items)
    if len(items) > params.ease_max_items:  # the items with the most people behind them; ties by id
        order = np.lexsort((np.arange(len(items)), -seen.to_numpy()))[: params.ease_max_items]
        keep = np.sort(order)
        x, cf_items = x[:, keep], items[keep]
    else:
        cf_items = items
    b = ease(x, params.ease_lambda) if len(cf_items) else np.zeros((0, 0), dtype=np.float32)
    return Recommender(params, cf_items, b, seen, _repeat_rates(ev, products, params), as_of)


def fit(events: pd.DataFrame, products: pd.DataFrame, as_of, params: Params = Params()) -> Recommender:
    """Learn the EASE weights, item exposure, repeat-purchase rates and the ranker from events before as_of."""
    as_of = pd.Timestamp(as_of)
    events, products, _ = _in_order(events, products)
    ev = _clean_events(events, as_of)
    model = _fit_base(ev, products, as_of, params)
    model.ranker, model.ranker_info = _fit_ranker(ev, products, as_of, params)
    return model


def _fit_ranker(ev: pd.DataFrame, products: pd.DataFrame, as_of: pd.Timestamp, params: Params):
    """Candidates as of as_of - ranker_label_days for customers who bought after it, labelled by what they bought."""
    cut = as_of - pd.Timedelta(days=params.ranker_label_days)
    past = ev[ev["occurred_at"] < cut]
    later = ev[(ev["occurred_at"] >= cut) & (ev["interaction_type"] == "purchase")]
    buyers = np.sort(np.intersect1d(later["customer_id"].unique(), past["customer_id"].unique()))
    info = {"label_days": params.ranker_label_days, "cutoff": str(cut)}
    if len(buyers) < params.ranker_min_customers:  # too few to learn from, or to check the ranker on
        return None, {**info, "rows": 0, "positives": 0, "customers": len(buyers), "used": False}
    if len(buyers) > params.ranker_max_customers:  # a fixed sample: enough rows, bounded time
        buyers = np.sort(np.random.default_rng(7).choice(buyers, params.ranker_max_customers, replace=False))
    base = _fit_base(past, products, cut, params)
    customers = pd.DataFrame({"customer_id": buyers, "preferred_category": None})
    ctx = _Context.build(base, past, products, customers, _no_rules(), cut)
    cands = _candidates(ctx)
    bought = later[["customer_id", "product_id"]].drop_duplicates()
    key = pd.MultiIndex.from_arrays([ctx.cust_ids[cands["u"].to_numpy()], ctx.item_ids[cands["i"].to_numpy()]])
    labels = key.isin(pd.MultiIndex.from_frame(bought)).astype(np.float32)
    booster, trained = ranker.train(cands, labels, params.ranker_min_positives, params.top_n)
    info.update(trained)
    # how much of what was bought the candidates could reach at all: the ranker's ceiling
    info["candidate_recall"] = round(float(labels.sum() / max(len(bought[bought["customer_id"].isin(buyers)]), 1)), 4)
    return booster, info


def _no_rules() -> pd.DataFrame:
    return pd.DataFrame({"if_category": pd.Series(dtype=str), "then_category": pd.Series(dtype=str),
                         "boost": pd.Series(dtype=float)})  # fmt: skip


def _profiles(ev: pd.DataFrame, as_of: pd.Timestamp, params: Params) -> pd.DataFrame:
    """Per customer and product: decayed strength, profile weight, purchase facts."""
    ev = ev.copy()
    age = (as_of - ev["occurred_at"]).dt.total_seconds() / 86400
    ev["strength"] = ev["interaction_type"].map(params.weights()).astype(float) * 0.5 ** (age / params.half_life_days)
    ev["is_purchase"] = ev["interaction_type"] == "purchase"
    ev["purchase_at"] = ev["occurred_at"].where(ev["is_purchase"])
    ev["recent"] = np.where(ev["is_purchase"], 0.5 ** (age / params.repeat_recent_half_life_days), 0.0)
    # one purchase per order (or per moment, without an order id): lines of one basket are one purchase
    ev["purchase_key"] = ev["order_id"].astype(str).where(ev["order_id"].notna(), ev["occurred_at"].astype(str))
    ev["purchase_key"] = ev["purchase_key"].where(ev["is_purchase"])
    agg = (
        ev.groupby(["customer_id", "product_id"])
        .agg(
            strength=("strength", "sum"),
            last_at=("occurred_at", "max"),
            last_purchased_at=("purchase_at", "max"),
            first_purchased_at=("purchase_at", "min"),
            purchased=("is_purchase", "any"),
            orders=("purchase_key", "nunique"),
            recent=("recent", "sum"),
        )
        .reset_index()
    )
    agg = agg.sort_values(["customer_id", "last_at", "product_id"], ascending=[True, False, True])
    agg["position"] = agg.groupby("customer_id").cumcount()
    agg["weight"] = agg["strength"] * 0.5 ** (agg["position"] / params.profile_half_life_items)
    return agg.reset_index(drop=True)


@dataclass
class _Context:
    """Everything recommend() derives from a model, today's events and the catalogue, in index form."""

    model: Recommender
    as_of: pd.Timestamp
    catalogue: pd.DataFrame
    item_ids: np.ndarray
    cust_ids: np.ndarray
    categories: np.ndarray
    category_code: np.ndarray
    group: np.ndarray  # diversity group: the category, or the product itself when it has none
    active: np.ndarray
    names: np.ndarray
    prof: pd.DataFrame
    top_prof: pd.DataFrame
    profile: sp.csr_matrix
    c_user: np.ndarray
    c_item: np.ndarray
    seen: np.ndarray
    trend: np.ndarray
    repeat_rate: np.ndarray
    repurchase_days: np.ndarray
    bought: pd.DataFrame
    b: np.ndarray
    cf_pos: np.ndarray  # catalogue position of each EASE item
    cf_column: np.ndarray  # EASE index of each catalogue item, -1 when EASE does not cover it
    content: sp.csr_matrix
    rule_rows: pd.DataFrame
    rule_matrix: sp.csr_matrix
    owned_category: sp.csr_matrix
    customer_facts: pd.DataFrame

    @classmethod
    def build(cls, model, events, products, customers, rules, as_of) -> _Context:
        p = model.params
        catalogue = products.drop_duplicates("product_id").reset_index(drop=True)
        n_items = len(catalogue)
        item_index = pd.Index(catalogue["product_id"])
        has_category = catalogue["category"].notna().to_numpy()
        category = catalogue["category"].fillna("Other").to_numpy()
        categories, category_code = np.unique(category, return_inverse=True)
        group = np.where(has_category, category_code, len(categories) + np.arange(n_items))
        active = catalogue["is_active"].fillna(False).astype(bool).to_numpy()
        names = catalogue["product_name"].fillna(catalogue["product_id"]).to_numpy()

        ev = _clean_events(events, as_of)
        ev = ev[ev["product_id"].isin(item_index)]
        prof = _profiles(ev, as_of, p)
        cust_ids = customers["customer_id"].drop_duplicates().to_numpy()
        cust_index = pd.Index(cust_ids)
        prof = prof[prof["customer_id"].isin(cust_index)].copy()
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
        cf_column = np.full(n_items, -1)
        cf_column[cf_pos] = np.arange(len(cf_pos))
        seen = model.seen.reindex(catalogue["product_id"]).fillna(0).to_numpy(np.float32)
        c_item = seen / (seen + p.item_confidence_k)
        content = content_similarity(catalogue, p.content_neighbours, p.content_full_items)
        repeat = model.repeat.reindex(catalogue["product_id"])
        repeat_rate = repeat["repeat_rate"].fillna(0).to_numpy(np.float32)
        repurchase_days = repeat["repurchase_days"].fillna(30).to_numpy(np.float32)
        trend = _trending(ev, catalogue, as_of, p)
        bought = prof[prof["purchased"]].sort_values("u", kind="stable")
        owned_category = sp.csr_matrix(
            (np.ones(len(bought), np.float32), (bought["u"].to_numpy(), category_code[bought["i"].to_numpy()])),
            (len(cust_ids), len(categories)),
        )
        owned_category.data[:] = 1
        rule_rows, rule_matrix = _rule_matrix(rules, categories, category_code, trend)
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
        return cls(model, as_of, catalogue, catalogue["product_id"].to_numpy(), cust_ids, categories, category_code,
                   group, active, names, prof, top_prof, profile, c_user, c_item, seen, trend, repeat_rate,
                   repurchase_days, bought, b, cf_pos, cf_column, content, rule_rows, rule_matrix, owned_category,
                   facts)  # fmt: skip


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


def _candidates(ctx: _Context) -> pd.DataFrame:
    """Per warm customer: the best new products by the hybrid score, and the bought products that may come back.

    A bought product is a candidate when its repeat rate reaches repeat_exclude_rate. `value` is the
    score without a ranker: the hybrid score (with rule boosts) for a new product; for a bought one,
    rate x how due it is when the rate reaches repeat_min_rate, else 0 (not recommended).
    """
    p = ctx.model.params
    bought = ctx.bought
    bought_u, bought_i = bought["u"].to_numpy(), bought["i"].to_numpy()
    # buy-again candidates: the customer's bought products (the strongest first) that may come back
    rate = ctx.repeat_rate[bought_i]
    days_since = ((ctx.as_of - bought["last_purchased_at"]).dt.total_seconds() / 86400).to_numpy(np.float32)
    due = np.clip(days_since / ctx.repurchase_days[bought_i], 0, 1)
    rebuy = pd.DataFrame({"u": bought_u, "i": bought_i, "strength": bought["strength"].to_numpy(),
                          "value": np.where(rate >= p.repeat_min_rate, rate * due, 0).astype(np.float32)})  # fmt: skip
    rebuy = rebuy[(rate >= p.repeat_exclude_rate) & ctx.active[bought_i]]
    rebuy = rebuy.sort_values(["u", "strength", "i"], ascending=[True, False, True])
    rebuy = rebuy[rebuy.groupby("u").cumcount() < p.rebuy_candidates]

    warm = np.flatnonzero(np.diff(ctx.profile.indptr) > 0)
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
    keep = _rank_within(r[order]) < m
    return order[keep]


def _top_per_row_csr(matrix: sp.csr_matrix, m: int) -> np.ndarray:
    """Positions in matrix.data of each row's m largest positive entries (rows padded to one width)."""
    lengths = np.diff(matrix.indptr)
    if matrix.nnz == 0:
        return np.zeros(0, np.int64)
    width = int(lengths.max())
    r = np.repeat(np.arange(matrix.shape[0]), lengths)
    slot = np.arange(matrix.nnz) - matrix.indptr[r]
    padded = np.full((matrix.shape[0], width), -np.inf, np.float32)
    padded[r, slot] = matrix.data
    k = min(width, m)
    top = np.argpartition(-padded, k - 1, axis=1)[:, :k]
    val = np.take_along_axis(padded, top, axis=1)
    rr, cc = np.nonzero(val > 0)
    return matrix.indptr[rr] + top[rr, cc]


def _candidates_of(ctx: _Context, rows: np.ndarray, rebuy: pd.DataFrame) -> pd.DataFrame:
    """The candidates of one batch of warm customers (rows), with their score parts.

    hybrid = trust x collaborative + (1 - trust) x content, trust = customer confidence x item
    confidence, plus rule boosts. Collaborative scores are dense over the EASE items; content and
    rules are sparse (each product's nearest products, each rule's products), so the work grows with
    what the customers' profiles reach, not with the catalogue.
    """
    p = ctx.model.params
    n_items = len(ctx.catalogue)
    cf_column = ctx.cf_column
    nb = len(rows)
    prof_b = ctx.profile[rows]
    c_user = ctx.c_user[rows]
    ct = (prof_b @ ctx.content).tocsr()
    ct.sum_duplicates()
    ct_max = ct.max(axis=1).toarray().ravel() if ct.nnz else np.zeros(nb, np.float32)
    scale = (p.content_weight / np.maximum(ct_max, 1e-12)).astype(np.float32)
    ct_r = np.repeat(np.arange(nb), np.diff(ct.indptr))
    ct.data = (ct.data * scale[ct_r]).astype(np.float32)
    ru = (ctx.owned_category[rows] @ ctx.rule_matrix).tocsr()
    ru.sum_duplicates()
    ru_r = np.repeat(np.arange(nb), np.diff(ru.indptr))
    # a (row, item) pair as one integer, for lookups in the sparse parts (sorted: rows, then items)
    ct_key, ru_key = ct_r.astype(np.int64) * n_items + ct.indices, ru_r.astype(np.int64) * n_items + ru.indices

    def lookup(keys: np.ndarray, table_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
        if len(table_keys) == 0:
            return np.zeros(len(keys), np.float32)
        at = np.minimum(np.searchsorted(table_keys, keys), len(table_keys) - 1)
        return np.where(table_keys[at] == keys, values[at], 0).astype(np.float32)

    lo, hi = np.searchsorted(ctx.bought["u"].to_numpy(), [rows[0], rows[-1] + 1])
    owned_r = np.searchsorted(rows, ctx.bought["u"].to_numpy()[lo:hi])
    owned_i = ctx.bought["i"].to_numpy()[lo:hi]
    m = min(n_items, p.discover_candidates)
    parts = []
    # dense part: the EASE items
    ncf = len(ctx.cf_pos)
    if ncf:
        cf = np.asarray(prof_b[:, ctx.cf_pos] @ ctx.b, dtype=np.float32)
        np.clip(cf, 0, None, out=cf)
        cf /= np.maximum(cf.max(axis=1, keepdims=True), 1e-12)
        ct_cf = ct[:, ctx.cf_pos].toarray()
        ru_cf = ru[:, ctx.cf_pos].toarray().astype(np.float32)
        trust = c_user[:, None] * ctx.c_item[ctx.cf_pos][None, :]
        hybrid_cf = cf * trust + ct_cf * (1 - trust)
        score = hybrid_cf + ru_cf
        score[:, ~ctx.active[ctx.cf_pos]] = 0
        owned_cf = cf_column[owned_i] >= 0
        score[owned_r[owned_cf], cf_column[owned_i[owned_cf]]] = 0
        k = min(ncf, m)
        top = np.argpartition(-score, k - 1, axis=1)[:, :k]
        val = np.take_along_axis(score, top, axis=1)
        r_idx, c_idx = np.nonzero(val > 0)
        cols = top[r_idx, c_idx]
        parts.append(pd.DataFrame({"r": r_idx, "i": ctx.cf_pos[cols], "value": val[r_idx, c_idx],
                                   "collaborative": cf[r_idx, cols], "content": ct_cf[r_idx, cols],
                                   "hybrid": hybrid_cf[r_idx, cols], "rule": ru_cf[r_idx, cols]}))  # fmt: skip
    # sparse part: products outside the EASE items that content or a rule reaches
    hyb = ct.copy()
    hyb.data = hyb.data * (1 - c_user[ct_r] * ctx.c_item[ct.indices])
    value = (hyb + ru).tocsr()
    value.sum_duplicates()
    v_r = np.repeat(np.arange(nb), np.diff(value.indptr))
    v_key = v_r.astype(np.int64) * n_items + value.indices
    out = (cf_column[value.indices] >= 0) | ~ctx.active[value.indices]
    out[np.isin(v_key, owned_r.astype(np.int64) * n_items + owned_i)] = True
    value.data[out] = 0
    pick = _top_per_row_csr(value, m)
    if len(pick):
        r_s, i_s, key = v_r[pick], value.indices[pick], v_key[pick]
        content = lookup(key, ct_key, ct.data)
        parts.append(pd.DataFrame({"r": r_s, "i": i_s, "value": value.data[pick], "collaborative": 0.0,
                                   "content": content, "hybrid": content * (1 - c_user[r_s] * ctx.c_item[i_s]),
                                   "rule": lookup(key, ru_key, ru.data)}))  # fmt: skip
    disc = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["r", "i", "value"])
    if len(disc):  # the best m of both parts
        disc = disc.iloc[_top_per_row(disc["r"].to_numpy(), disc["value"].to_numpy(float), m)]
    disc = disc.assign(is_rebuy=False)
    rb_lo, rb_hi = np.searchsorted(rebuy["u"].to_numpy(), [rows[0], rows[-1] + 1])
    rb = rebuy.iloc[rb_lo:rb_hi]
    r_b, i_b = np.searchsorted(rows, rb["u"].to_numpy()), rb["i"].to_numpy()
    k_b = r_b.astype(np.int64) * n_items + i_b
    col = cf_column[i_b]
    collab = np.where(col >= 0, cf[r_b, np.maximum(col, 0)], 0).astype(np.float32) if ncf else np.zeros(len(rb))
    content = lookup(k_b, ct_key, ct.data)
    trust = c_user[r_b] * ctx.c_item[i_b]
    rb = pd.DataFrame({"r": r_b, "i": i_b, "value": rb["value"].to_numpy(), "collaborative": collab,
                       "content": content, "hybrid": collab * trust + content * (1 - trust),
                       "rule": lookup(k_b, ru_key, ru.data), "is_rebuy": True})  # fmt: skip
    both = pd.concat([disc, rb], ignore_index=True)
    both["u"] = rows[both["r"].to_numpy(np.int64)]
    both["i"] = both["i"].astype(np.int64)
    return both.drop(columns="r")


def _with_features(ctx: _Context, cands: pd.DataFrame) -> pd.DataFrame:
    """The ranker's features for each candidate (see python_udfs/recs/ranker.py)."""
    u, i = cands["u"].to_numpy(), cands["i"].to_numpy()
    own = ctx.prof.set_index(["u", "i"])[
        ["strength", "weight", "position", "purchased", "orders", "recent", "last_purchased_at", "first_purchased_at"]
    ]
    own = own.reindex(pd.MultiIndex.from_arrays([u, i]))
    days_since = (ctx.as_of - own["last_purchased_at"]).dt.total_seconds().to_numpy() / 86400
    span = (own["last_purchased_at"] - own["first_purchased_at"]).dt.total_seconds().to_numpy() / 86400
    orders = own["orders"].fillna(0).to_numpy()
    own_gap = np.where(orders >= 2, span / np.maximum(orders - 1, 1), np.nan)
    item_gap = ctx.repurchase_days[i]
    facts = ctx.customer_facts
    cands = cands.assign(
        is_bought=own["purchased"].fillna(False).to_numpy(np.float32),
        own_orders=orders,
        own_recent=own["recent"].fillna(0).to_numpy(),
        own_days_since=days_since,
        own_gap_days=own_gap,
        own_due=days_since / own_gap,
        item_repeat_rate=ctx.repeat_rate[i],
        item_gap_days=item_gap,
        item_due=days_since / item_gap,
        profile_position=own["position"].to_numpy(),
        profile_weight=own["weight"].fillna(0).to_numpy(),
        customer_confidence=ctx.c_user[u],
        item_confidence=ctx.c_item[i],
        log_buyers=np.log1p(ctx.seen[i]),
        log_trend=np.log1p(ctx.trend[i]),
        customer_items=facts["customer_items"].to_numpy()[u],
        customer_orders=facts["customer_orders"].to_numpy()[u],
        customer_days_since=facts["customer_days_since"].to_numpy()[u],
        customer_repeat_share=facts["customer_repeat_share"].to_numpy()[u],
    )
    return cands


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
    if_category, then_category, boost. Every customer gets top_n distinct
    active items when the active catalogue has that many.
    """
    p = model.params
    as_of = pd.Timestamp(as_of)
    if products["product_id"].nunique() == 0 or len(customers) == 0:  # nothing to recommend, or nobody to
        return pd.DataFrame({"customer_id": pd.Series(dtype=str), "rank": pd.Series(dtype=int),
                             "product_id": pd.Series(dtype=str), "score": pd.Series(dtype=float),
                             "source": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})  # fmt: skip
    events, products, customers = _in_order(events, products, customers)
    ctx = _Context.build(model, events, products, customers, rules, as_of)
    cands = _candidates(ctx)
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
    picks = _diversify(personal, ctx.group, p.max_per_category, p.top_n)
    picks = _fill_with_trending(picks, customers, ctx, p)
    return _with_reasons(picks, ctx)


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


def _fill_with_trending(picks: pd.DataFrame, customers: pd.DataFrame, ctx: _Context, p: Params) -> pd.DataFrame:
    """Customers short of top_n: trending in their preferred category, then overall; cap relaxed last.

    Products the customer bought are left out of the fill unless nothing else is left (a catalogue the
    customer has mostly bought already): then they come back, so the list still has top_n products.
    Each customer's fill is independent of the others', so the short customers go in chunks of
    FILL_CHUNK: the candidate frame is tens of rows per customer, and at 100,000 customers, most of them
    cold, one frame for all of them took 1.3 GB.
    """
    cust_index = pd.Index(ctx.cust_ids)
    counts = picks.groupby("u").size().reindex(np.arange(len(cust_index)), fill_value=0)
    short = counts[counts < p.top_n].index.to_numpy()
    if len(short) == 0:
        return picks
    trend, catalogue = ctx.trend, ctx.catalogue
    pool = np.flatnonzero(ctx.active)
    pool = pool[np.argsort(-trend[pool], kind="stable")]
    preferred = customers.drop_duplicates("customer_id").set_index("customer_id")["preferred_category"]
    cat_names = catalogue["category"].to_numpy()
    n_items = len(catalogue)
    bought = ctx.bought
    owned_all = bought["u"].to_numpy(np.int64) * n_items + bought["i"].to_numpy()
    owned_per_customer = np.bincount(bought["u"].to_numpy(), minlength=len(cust_index))
    short_picks = picks[picks["u"].isin(short)]

    def fill_chunk(chunk: np.ndarray) -> pd.DataFrame:
        # deep enough that the relaxed pass finds top_n products each customer has not bought
        depth = min(len(pool), p.top_n * 3 + p.max_per_category * 3 + int(owned_per_customer[chunk].max()))
        overall = pool[:depth]
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
        is_owned = np.isin(fill["u"].to_numpy(np.int64) * n_items + fill["i"].to_numpy(), owned_all)
        # bought products: the very last resort, marked as buy-again
        last_resort = fill[is_owned & (fill["priority"] == 2)].assign(priority=3, source=np.int8(REPEAT))
        existing = short_picks[short_picks["u"].isin(chunk)]
        merged = pd.concat([existing, fill[~is_owned]], ignore_index=True)
        merged = _first_of_each(merged, n_items)
        capped = _diversify(merged, ctx.group, p.max_per_category, p.top_n)
        counts = capped.groupby("u").size().reindex(chunk, fill_value=0)
        still = counts[counts < p.top_n].index
        if len(still):  # a small catalogue: relax the per-category cap rather than send fewer items
            wider = _first_of_each(pd.concat([merged, last_resort], ignore_index=True), n_items)
            relaxed = _diversify(wider[wider["u"].isin(still)], ctx.group, p.top_n, p.top_n)
            capped = pd.concat([capped[~capped["u"].isin(still)], relaxed], ignore_index=True)
        return capped

    filled = [fill_chunk(short[start : start + FILL_CHUNK]) for start in range(0, len(short), FILL_CHUNK)]
    return pd.concat([picks[~picks["u"].isin(short)], *filled], ignore_index=True)


def _first_of_each(frame: pd.DataFrame, n_items: int) -> pd.DataFrame:
    """The first row of each (customer, product), in the frame's order."""
    _, first = np.unique(frame["u"].to_numpy(np.int64) * n_items + frame["i"].to_numpy(), return_index=True)
    return frame.iloc[np.sort(first)]


def _every(days: float) -> str:
    """A purchase cycle in words: "about every 5 days", "about every 3 weeks", "about every 2 months"."""
    if days < 6.5:
        n, unit = max(1, round(days)), "day"
    elif days < 60:
        n, unit = round(days / 7), "week"
    else:
        n, unit = round(days / 30), "month"
    return f"about every {n} {unit}{'s' if n > 1 else ''}" if n > 1 else f"about every {unit}"


def _with_reasons(picks: pd.DataFrame, ctx: _Context) -> pd.DataFrame:
    cust_ids, catalogue, names, categories, category_code = (
        ctx.cust_ids, ctx.catalogue, ctx.names, ctx.categories, ctx.category_code
    )  # fmt: skip
    top_prof, b, bought, rule_rows = ctx.top_prof, ctx.b, ctx.bought, ctx.rule_rows
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
    cf_lookup = ctx.cf_column
    content = ctx.content
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
        facts = bought.set_index(["u", "i"])[["last_purchased_at", "first_purchased_at", "orders"]]
        facts = facts.reindex(pd.MultiIndex.from_arrays([u[rows], i[rows]]))
        when = facts["last_purchased_at"].dt.strftime("%d %b %Y").to_numpy()
        orders = facts["orders"].fillna(0).to_numpy()
        span = (facts["last_purchased_at"] - facts["first_purchased_at"]).dt.total_seconds().to_numpy() / 86400
        gap = span / np.maximum(orders - 1, 1)
        reason[rows] = [
            f"Buy again: you buy this {_every(g)}" if n >= 2 and g >= 1 else f"Buy again: you last bought it on {w}"
            for w, n, g in zip(when, orders, gap, strict=True)
        ]
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
    events, products, customers = _in_order(events, products, customers)
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
