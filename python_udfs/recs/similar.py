"""More like this product: for every active product, the top_n other active products to show beside it.

Built from a fitted recommender (python_udfs/recs/fitting.py) and the catalogue, with the same parts and
the same blend the customer lists use (python_udfs/recs/candidates.py), the anchor product taking the
place of a customer's profile:
- collaborative: the anchor's row of the EASE weights B (what the anchor predicts), negative weights
  dropped, scaled so the row's best is 1; only where EASE covers both products;
- content: the anchor's row of the TF-IDF content similarity (python_udfs/recs/content.py), scaled so
  the row's best is content_weight;
- hybrid = trust x collaborative + (1 - trust) x content, trust = anchor confidence x item confidence,
  each seen / (seen + item_confidence_k): a product few people interacted with leans on content.

Per anchor, the candidates are its discover_candidates best by collaborative weight and its stored
content neighbours (content_neighbours); the best top_n by hybrid score are kept, and the list is
filled with the anchor's category's bestsellers, then overall bestsellers, so every active product
gets top_n rows when the active catalogue has that many others. Inactive products and the anchor
itself never appear. Ties break by product id, so the same inputs give the same lists.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from python_udfs.recs.candidates import Collaborative, Items
from python_udfs.recs.model import Recommender

COLUMNS = ["product_id", "rank", "similar_product_id", "score", "source", "reason"]
# priorities, best first: a similarity, the anchor's category's bestsellers, overall bestsellers
SIMILAR, CATEGORY_BESTSELLER, BESTSELLER = 0, 1, 2
# anchors whose collaborative rows are scored at once (dense float32 rows of at most ease_max_items)
BATCH = 2000


def similar_products(model: Recommender, products: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """product_id, rank, similar_product_id, score, source and reason for every active product.

    products: the catalogue (product_id, product_name, category, brand, price, is_active), with
    overall_rank (bestseller rank among active products, int_products_ranked) when known; without it,
    bestsellers are the products with the most customers in the fitted model.
    source is collaborative, content or bestseller.
    """
    # the catalogue in product id order, as in_order (python_udfs/recs/model.py) puts it for the recommender
    catalogue = products.sort_values("product_id", kind="stable").drop_duplicates("product_id").reset_index(drop=True)
    items = Items.build(model, catalogue)
    cf = Collaborative.build(model, items)
    p = model.params
    anchors = np.flatnonzero(items.active)
    if len(anchors) == 0 or top_n <= 0:
        return _empty()
    pairs = _similar_pairs(items, cf, anchors, p.discover_candidates, p.content_weight, top_n)
    picks = _fill(pairs, items, anchors, _bestseller_order(items, catalogue), top_n)
    return _with_reasons(picks, items)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(COLUMNS, [str, int, str, float, str, str], strict=True)})


def _similar_pairs(
    items: Items, cf: Collaborative, anchors: np.ndarray, cf_candidates: int, content_weight: float, top_n: int
) -> pd.DataFrame:
    """Per anchor a, its best top_n active products b (a != b) by hybrid score, with both score parts."""
    n = len(items.ids)
    frames = []
    # collaborative candidates: each covered anchor's best cf_candidates by EASE weight
    covered = anchors[cf.column[anchors] >= 0]
    if len(covered) and len(cf.pos) > 1:
        usable = items.active[cf.pos]
        k = min(cf_candidates, len(cf.pos) - 1)
        for start in range(0, len(covered), BATCH):
            batch = covered[start : start + BATCH]
            rows = np.clip(cf.b[cf.column[batch]], 0, None)
            rows[:, ~usable] = 0
            rows[np.arange(len(batch)), cf.column[batch]] = 0
            top = np.argpartition(-rows, k - 1, axis=1)[:, :k]
            val = np.take_along_axis(rows, top, axis=1)
            r, c = np.nonzero(val > 0)
            frames.append(pd.DataFrame({"a": batch[r], "b": cf.pos[top[r, c]]}))
    # content candidates: each anchor's stored neighbours
    content = items.content.tocsr()
    lengths = np.diff(content.indptr)
    a_ct = np.repeat(np.arange(n), lengths)
    frames.append(pd.DataFrame({"a": a_ct, "b": content.indices.astype(np.int64)}))
    pairs = pd.concat(frames, ignore_index=True).drop_duplicates()
    pairs = pairs[items.active[pairs["a"].to_numpy()] & items.active[pairs["b"].to_numpy()]]
    pairs = pairs[pairs["a"] != pairs["b"]].reset_index(drop=True)
    a, b = pairs["a"].to_numpy(), pairs["b"].to_numpy()
    # collaborative part: B[a, b] over the anchor's best weight (positive weights only)
    collab = np.zeros(len(pairs), np.float32)
    both = (cf.column[a] >= 0) & (cf.column[b] >= 0)
    if both.any():
        row_max = np.clip(cf.b, 0, None).max(axis=1) if len(cf.pos) else np.zeros(0, np.float32)
        ca, cb = cf.column[a[both]], cf.column[b[both]]
        collab[both] = np.clip(cf.b[ca, cb], 0, None) / np.maximum(row_max[ca], 1e-12)
    # content part: similarity over the anchor's best neighbour, scaled to content_weight
    ct = np.asarray(content[a, b]).ravel().astype(np.float32) if len(pairs) else np.zeros(0, np.float32)
    ct_max = content.max(axis=1).toarray().ravel() if content.nnz else np.zeros(n, np.float32)
    ct = content_weight * ct / np.maximum(ct_max[a], 1e-12)
    trust = items.c_item[a] * items.c_item[b]
    cf_part, ct_part = collab * trust, ct * (1 - trust)
    pairs = pairs.assign(
        score=(cf_part + ct_part).astype(float),
        source=np.where((collab > 0) & (cf_part >= ct_part), "collaborative", "content"),
        priority=SIMILAR,
    )
    pairs = pairs[pairs["score"] > 0]
    pairs = pairs.sort_values(["a", "score", "b"], ascending=[True, False, True], kind="stable")
    return pairs[pairs.groupby("a").cumcount() < top_n]


def _bestseller_order(items: Items, catalogue: pd.DataFrame) -> np.ndarray:
    """Active product positions, best seller first: overall_rank when given, else most customers; ties by id."""
    active = np.flatnonzero(items.active)
    if "overall_rank" in catalogue and catalogue["overall_rank"].notna().any():
        rank = pd.to_numeric(catalogue["overall_rank"], errors="coerce").to_numpy(float)[active]
        key = np.where(np.isnan(rank), np.inf, rank)
    else:
        key = -items.seen[active].astype(float)
    return active[np.lexsort((active, key))]


def _fill(pairs: pd.DataFrame, items: Items, anchors: np.ndarray, order: np.ndarray, top_n: int) -> pd.DataFrame:
    """Each anchor's list filled to top_n: its category's bestsellers, then overall bestsellers."""
    counts = pairs.groupby("a").size().reindex(anchors, fill_value=0)
    short = counts[counts < top_n].index.to_numpy()
    if len(short) == 0:
        return pairs
    depth = 2 * top_n + 1  # enough to fill top_n whatever the anchor already has, itself included
    has_category = items.frame["category"].notna().to_numpy()
    codes = items.category_code
    in_order_codes = codes[order]
    per_category = pd.DataFrame({"code": in_order_codes, "b": order})[has_category[order]]
    per_category = per_category[per_category.groupby("code").cumcount() < depth]
    fill_category = pd.DataFrame({"a": short, "code": codes[short]})[has_category[short]].merge(per_category, on="code")
    fill_category = fill_category.assign(score=0.0, source="bestseller", priority=CATEGORY_BESTSELLER)
    overall = order[:depth]
    fill_overall = pd.DataFrame({"a": np.repeat(short, len(overall)), "b": np.tile(overall, len(short))})
    fill_overall = fill_overall.assign(score=0.0, source="bestseller", priority=BESTSELLER)
    best_position = np.empty(len(items.ids), np.int64)
    best_position[order] = np.arange(len(order))
    both = pd.concat([pairs, fill_category.drop(columns="code"), fill_overall], ignore_index=True)
    both = both[both["a"] != both["b"]]
    both = both.assign(seller=best_position[both["b"].to_numpy()])
    both = both.sort_values(["a", "priority", "score", "seller", "b"], ascending=[True, True, False, True, True])
    both = both.drop_duplicates(["a", "b"], keep="first")
    return both[both.groupby("a").cumcount() < top_n].drop(columns="seller")


def _with_reasons(picks: pd.DataFrame, items: Items) -> pd.DataFrame:
    picks = picks.sort_values(["a", "priority", "score", "b"], ascending=[True, True, False, True], kind="stable")
    picks = picks.reset_index(drop=True)
    a, b = picks["a"].to_numpy(), picks["b"].to_numpy()
    names = items.names.astype(str)
    category = np.where(items.frame["category"].notna().to_numpy(), items.categories[items.category_code], "")
    source, priority = picks["source"].to_numpy(), picks["priority"].to_numpy()
    reason = np.select(
        [source == "collaborative", source == "content", priority == CATEGORY_BESTSELLER],
        [
            np.char.add("Often bought with ", names[a]),
            np.char.add("Similar to ", names[a]),
            np.char.add("Popular in ", category[b].astype(str)),
        ],
        default="Popular right now",
    )
    return pd.DataFrame(
        {
            "product_id": items.ids[a].astype(str),
            "rank": (picks.groupby("a").cumcount() + 1).to_numpy(np.int64),
            "similar_product_id": items.ids[b].astype(str),
            "score": picks["score"].to_numpy(float),
            "source": source.astype(str),
            "reason": reason.astype(str),
        }
    )
