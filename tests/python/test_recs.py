"""Unit tests for python_udfs/recs: metrics, collaborative models and the hybrid recommender."""

from dataclasses import replace

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from python_udfs.recs import candidates, collaborative, fitting, ranker, ranking, scoring, sparse
from python_udfs.recs import codes as codes_module
from python_udfs.recs.candidates import _best_positive, _top_per_row_csr
from python_udfs.recs.codes import Codes, _distinct
from python_udfs.recs.collaborative import ease, popularity
from python_udfs.recs.engine import Params, evaluate, fit, recommend
from python_udfs.recs.metrics import ranking_metrics, top_k_frame
from python_udfs.recs.model import EVENT_ORDER, _packed, in_order, no_rules
from python_udfs.recs.reading import EVENT_CATEGORICAL
from python_udfs.recs.reasons import every as in_words
from python_udfs.recs.training import params_from_config, train_recommender

AS_OF = pd.Timestamp("2026-06-01")


def test_ranking_metrics_by_hand():
    recs = pd.DataFrame({"user_id": ["a", "a", "b", "b"], "product_id": ["x", "y", "x", "z"], "rank": [1, 2, 1, 2]})
    relevant = pd.DataFrame({"user_id": ["a", "b", "b", "c"], "product_id": ["y", "x", "z", "x"]})
    m = ranking_metrics(recs, relevant, catalogue_size=4, k=2)
    # a: one hit at rank 2; b: hits at 1 and 2; c: no recommendations at all
    assert m["precision@2"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert m["recall@2"] == pytest.approx((1.0 + 1.0 + 0.0) / 3)
    ndcg_a = (1 / np.log2(3)) / 1.0
    assert m["ndcg@2"] == pytest.approx((ndcg_a + 1.0 + 0.0) / 3)
    assert m["coverage"] == pytest.approx(3 / 4)
    assert m["users"] == 3


def test_top_k_frame_orders_and_skips_excluded():
    scores = np.array([[0.1, 0.9, -np.inf, 0.5], [-np.inf, -np.inf, -np.inf, 1.0]])
    out = top_k_frame(scores, np.array(["u1", "u2"]), np.array(["a", "b", "c", "d"]), k=3)
    assert out[out["user_id"] == "u1"]["product_id"].tolist() == ["b", "d", "a"]
    assert out[out["user_id"] == "u2"]["product_id"].tolist() == ["d"]


def test_ease_matches_the_closed_form_and_has_a_zero_diagonal():
    rng = np.random.default_rng(0)
    x = sp.csr_matrix((rng.random((50, 8)) < 0.3).astype(float))
    b = ease(x, 5.0)
    gram = (x.T @ x).toarray() + 5.0 * np.eye(8)
    # B solves min ||X - XB||^2 + lambda ||B||^2 with diag(B) = 0: (G B)_ij = G_ij - lambda... off the diagonal
    residual = gram @ b - (x.T @ x).toarray()
    off = ~np.eye(8, dtype=bool)
    assert np.allclose(residual[off], 0, atol=1e-4)
    assert np.allclose(np.diag(b), 0)


@pytest.mark.parametrize("blocks", [1, 2, 3, 7])
def test_ease_gram_in_blocks_is_the_whole_product_to_the_bit(monkeypatch, blocks):
    # skewed items (a few popular ones hold most entries) and weights whose float sums depend on their order
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 4000, 30000)
    cols = np.minimum(rng.zipf(1.3, 30000) - 1, 299)
    x = sp.csr_matrix((rng.choice([0.2, 0.3, 0.5, 1.0], 30000), (rows, cols)), shape=(4000, 300))
    monkeypatch.setattr(collaborative, "GRAM_BLOCKS", blocks)
    assert np.array_equal(collaborative._gram(x), (x.T @ x).toarray())


def test_ease_gram_is_scipys_product_to_the_bit_for_any_layout():
    """_gram's compiled loop against scipy's product: float32 weights, users and items with no entry, a user's
    items stored out of order and twice (scipy sums the duplicates), and no entry at all."""
    rng = np.random.default_rng(5)
    rows, cols = rng.integers(0, 500, 4000), np.minimum(rng.zipf(1.4, 4000) - 1, 79)
    rows[rows % 7 == 0] += 1  # some users hold nothing
    weights = rng.choice([0.1, 0.3, 0.5, 1.0], 4000)
    skipped = sp.csr_matrix((weights, (rows, cols)), shape=(600, 90))  # items 80 to 89 are no one's
    assert np.array_equal(collaborative._gram(skipped), (skipped.T @ skipped).toarray())
    narrow = skipped.astype(np.float32)
    assert collaborative._gram(narrow).dtype == np.float32
    assert np.array_equal(collaborative._gram(narrow), (narrow.T @ narrow).toarray())
    # the same entries, each user's reversed and the first of them stored twice
    indptr, indices, data = [0], [], []
    for u in range(skipped.shape[0]):
        row = skipped[u]
        idx, val = row.indices[::-1].tolist(), row.data[::-1].tolist()
        if idx:
            idx, val = [*idx, idx[0]], [*val, 0.0]  # summed with its twin: the same weight
        indices += idx
        data += val
        indptr.append(len(indices))
    messy = sp.csr_matrix((np.array(data), np.array(indices, dtype=np.int32), np.array(indptr)), shape=skipped.shape)
    assert not messy.has_canonical_format
    assert np.array_equal(collaborative._gram(messy), (skipped.T @ skipped).toarray())
    empty = sp.csr_matrix((3, 4))
    assert np.array_equal(collaborative._gram(empty), np.zeros((4, 4)))


def _scipys_sorted(a: sp.csr_matrix, b: sp.csr_matrix) -> sp.csr_matrix:
    product = (a @ b).tocsr()
    product.sum_duplicates()
    return product


@pytest.mark.parametrize("columns", [40, 3000])  # few columns met per row (sorted) and many (read off in order)
def test_sorted_product_is_scipys_product_to_the_bit(columns):
    """sparse.sorted_product against scipy's product with its columns sorted: the same entries, floats and order,
    for float32 and float64, rows with no entry, entries that cancel to 0 (left out, as scipy does) and inputs
    stored out of order and twice."""
    rng = np.random.default_rng(11)
    a_rows, a_cols = rng.integers(0, 300, 3000), np.minimum(rng.zipf(1.3, 3000) - 1, 199)
    a_rows[a_rows % 9 == 0] += 1  # some rows hold nothing
    a = sp.csr_matrix((rng.choice([0.1, 0.3, 0.7, 1.0], 3000), (a_rows, a_cols)), shape=(320, 200))
    b_rows, b_cols = rng.integers(0, 200, 20000), rng.integers(0, columns, 20000)
    b = sp.csr_matrix((rng.standard_normal(20000), (b_rows, b_cols)), shape=(200, columns))
    for left, right in [(a, b), (a.astype(np.float32), b.astype(np.float32)), (a.astype(np.float32), b)]:
        got, want = sparse.sorted_product(left, right), _scipys_sorted(left, right)
        assert got.dtype == want.dtype
        assert got.has_canonical_format
        assert np.array_equal(got.indptr, want.indptr)
        assert np.array_equal(got.indices, want.indices)
        assert np.array_equal(got.data, want.data)
    # entries that sum to exactly 0 are not stored; the other columns of that row are
    cancel = sp.csr_matrix(np.array([[1.0, 1.0], [0.0, 2.0]]))
    opposite = sp.csr_matrix(np.array([[1.0, 3.0, 0.5], [-1.0, 0.0, 0.5]]))
    got = sparse.sorted_product(cancel, opposite)
    assert got.nnz == _scipys_sorted(cancel, opposite).nnz == 4
    assert np.array_equal(got.toarray(), (cancel @ opposite).toarray())
    # each row of b reversed and its first entry stored twice (with 0: the same values)
    indptr, indices, data = [0], [], []
    for row in range(b.shape[0]):
        idx, val = b[row].indices[::-1].tolist(), b[row].data[::-1].tolist()
        if idx:
            idx, val = [*idx, idx[0]], [*val, 0.0]
        indices += idx
        data += val
        indptr.append(len(indices))
    messy = sp.csr_matrix((np.array(data), np.array(indices, dtype=np.int32), np.array(indptr)), shape=b.shape)
    assert not messy.has_canonical_format
    got, want = sparse.sorted_product(a, messy), _scipys_sorted(a, messy)
    assert np.array_equal(got.indices, want.indices)
    assert np.array_equal(got.data, want.data)
    assert sparse.sorted_product(sp.csr_matrix((4, 200)), b).nnz == 0
    with pytest.raises(ValueError, match="do not align"):
        sparse.sorted_product(b, b)


def test_the_gram_loop_compiles_where_numba_cannot_cache_it(monkeypatch):
    """Where numba finds no folder to cache machine code in (a read-only install and home), it raises when the
    function is decorated; sparse.compiled then compiles it without a cache, and it gives the same rows."""
    import numba.core.dispatcher

    def no_cache(py_func):
        raise RuntimeError(f"cannot cache function {py_func.__name__!r}: no locator available")

    monkeypatch.setattr(numba.core.dispatcher, "FunctionCache", no_cache)
    with pytest.raises(RuntimeError, match="no locator"):  # what numba alone does there
        numba.njit(cache=True)(collaborative._gram_rows_loop)
    uncached = sparse.compiled(collaborative._gram_rows_loop)
    x = sp.csr_matrix(np.array([[1.0, 0.5, 0.0], [0.0, 0.3, 1.0], [0.1, 0.0, 0.2]]))
    where = sp.csr_matrix((np.arange(1, x.nnz + 1, dtype=np.int64), x.indices, x.indptr), shape=x.shape).T.tocsr()
    out = np.zeros((3, 3))
    uncached(x.indptr, x.indices, x.data, where.indptr, where.indices, where.data - 1, 0, 3, out)
    assert np.array_equal(np.triu(out), np.triu((x.T @ x).toarray()))


def test_popularity_counts_the_users_of_each_item():
    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 1, 0], [0, 1, 1]], dtype=float))
    assert popularity(x).tolist() == [2, 3, 1]


def shop():
    """Cameras with accessories, pods bought again and again, books bought once each."""
    rows = []
    products = [("cam1", "Cameras", True), ("cam2", "Cameras", True), ("acc1", "Camera Accessories", True),
                ("acc2", "Camera Accessories", True), ("acc_old", "Camera Accessories", False),
                ("pod1", "Coffee Pods", True), ("pod2", "Coffee Pods", True)]  # fmt: skip
    products += [(f"book{i}", "Books", True) for i in range(12)]
    catalogue = pd.DataFrame(
        {
            "product_id": [p[0] for p in products],
            "product_name": [f"Name of {p[0]}" for p in products],
            "category": [p[1] for p in products],
            "brand": "Acme",
            "price": 10.0,
            "is_active": [p[2] for p in products],
        }
    )
    rng = np.random.default_rng(1)
    day = pd.Timedelta(days=1)
    for c in range(60):
        t = AS_OF - 300 * day + int(rng.integers(0, 30)) * day
        if c % 3 == 0:  # camera buyers come back for an accessory
            rows.append((f"c{c}", "cam1" if c % 2 else "cam2", "purchase", t))
            rows.append((f"c{c}", "acc1" if c % 2 else "acc2", "purchase", t + 20 * day))
        if c % 3 == 1:  # pod buyers re-buy the same pod every month
            for k in range(5):
                rows.append((f"c{c}", "pod1" if c % 2 else "pod2", "purchase", t + 30 * k * day))
        # everyone reads: different books, each once
        for k in range(3):
            rows.append((f"c{c}", f"book{(c + 4 * k) % 12}", "purchase", t + (10 + 40 * k) * day))
    rows.append(("viewer", "book1", "view", AS_OF - 2 * day))
    events = pd.DataFrame(rows, columns=["customer_id", "product_id", "interaction_type", "occurred_at"])
    events["order_id"] = [f"o{i}" for i in range(len(events))]
    customers = pd.DataFrame({"customer_id": [*events["customer_id"].unique(), "newbie"]})
    customers["preferred_category"] = np.where(customers["customer_id"] == "newbie", "Books", None)
    rules = pd.DataFrame({"if_category": ["Cameras"], "then_category": ["Camera Accessories"], "boost": [0.6]})
    return events, catalogue, customers, rules


def test_recommender_rules_repeat_cap_and_fallbacks():
    events, catalogue, customers, rules = shop()
    params = Params(top_n=5, max_per_category=2, content_weight=0.3)
    model = fit(events, catalogue, AS_OF, params)
    # learned from the data: pods are bought again, books are not
    assert model.repeat.loc["pod1", "repeat_rate"] >= params.repeat_min_rate
    assert model.repeat.loc["book1", "repeat_rate"] < params.repeat_min_rate
    out = recommend(model, events, catalogue, customers, rules, AS_OF)

    assert out.groupby("customer_id").size().eq(5).all()
    assert set(out["customer_id"]) == set(customers["customer_id"])
    assert not out.duplicated(["customer_id", "product_id"]).any()
    assert "acc_old" not in set(out["product_id"])  # inactive: never
    category = catalogue.set_index("product_id")["category"]
    assert out.assign(cat=out["product_id"].map(category)).groupby(["customer_id", "cat"]).size().max() <= 2
    # books bought once are not recommended back; pods come back as "repeat"
    bought = events[events["interaction_type"] == "purchase"][["customer_id", "product_id"]].drop_duplicates()
    back = out.merge(bought, on=["customer_id", "product_id"])
    assert len(back) > 0
    assert set(back["source"]) == {"repeat"}
    assert back["product_id"].str.startswith("pod").all()
    assert back["reason"].str.startswith("Buy again").all()
    # a camera buyer who has no accessory yet: the rule brings accessories with the camera in the reason
    new_camera = pd.DataFrame([("fresh", "cam1", "purchase", AS_OF - 3 * pd.Timedelta(days=1), "ox")],
                              columns=events.columns)  # fmt: skip
    fresh = recommend(model, pd.concat([events, new_camera]), catalogue, pd.DataFrame({"customer_id": ["fresh"]}),
                      rules, AS_OF)  # fmt: skip
    accessories = fresh[fresh["product_id"].isin(["acc1", "acc2"])]
    assert len(accessories) == 2
    assert accessories["reason"].str.contains("Name of cam1").all()
    # cold start: trending in the preferred category first
    newbie = out[out["customer_id"] == "newbie"].sort_values("rank")
    assert set(newbie["source"]) == {"trending"}
    assert newbie["product_id"].iloc[0].startswith("book")
    assert newbie["reason"].iloc[0] == "Trending in Books"


def test_small_catalogue_relaxes_the_category_cap_rather_than_send_fewer():
    events, catalogue, customers, rules = shop()
    params = Params(top_n=8, max_per_category=1)
    out = recommend(fit(events, catalogue, AS_OF, params), events, catalogue, customers, rules, AS_OF)
    # 4 active categories, 1 per category would give 4: the list is still filled to 8 for newcomers
    assert out[out["customer_id"] == "newbie"].shape[0] == 8


def test_trending_fill_in_chunks_gives_the_same_lists(monkeypatch):
    events, catalogue, customers, rules = shop()
    # short customers over several chunks: cold ones, with and without a preferred category, and ones with a
    # single view, whose few personal picks the fill must keep
    categories = ["Books", None, "Coffee Pods", "Books", None, "Cameras", "Books"]
    cold = pd.DataFrame({"customer_id": [f"cold{k}" for k in range(7)], "preferred_category": categories})
    views = pd.DataFrame(
        {
            "customer_id": [f"view{k}" for k in range(5)],
            "product_id": ["pod1", "book2", "pod1", "book2", "cam1"],
            "interaction_type": "view",
            "occurred_at": AS_OF - pd.Timedelta(days=3),
            "order_id": None,
        }
    )
    events = pd.concat([events, views], ignore_index=True)
    everyone = pd.concat([customers, cold, views[["customer_id"]]], ignore_index=True)
    # 10 with at most 2 per category from 4 categories: everyone is short, warm customers included
    params = Params(top_n=10, max_per_category=2)
    model = fit(events, catalogue, AS_OF, params)
    whole = recommend(model, events, catalogue, everyone, rules, AS_OF)
    monkeypatch.setattr(ranking, "FILL_CHUNK", 3)
    chunked = recommend(model, events, catalogue, everyone, rules, AS_OF)
    key = ["customer_id", "rank"]
    pd.testing.assert_frame_equal(
        whole.sort_values(key).reset_index(drop=True), chunked.sort_values(key).reset_index(drop=True)
    )
    assert (whole["source"] == "trending").sum() > 3 * 6
    viewers = whole[whole["customer_id"].str.startswith("view")]
    assert (viewers["source"] != "trending").sum() >= 5


def test_ease_covers_only_the_most_bought_items_when_capped():
    events, catalogue = grocery(n_customers=60, days=60)
    model = fit(events, catalogue, AS_OF, Params(ease_max_items=10))
    assert len(model.cf_items) == 10
    buyers = events.groupby("product_id")["customer_id"].nunique()
    assert buyers.reindex(model.cf_items).min() >= buyers.sort_values(ascending=False).iloc[9]
    assert model.b.shape == (10, 10)


def test_evaluate_uses_only_the_past_and_beats_popularity_on_planted_structure():
    events, catalogue, customers, rules = shop()
    metrics = evaluate(events, catalogue, customers, rules, AS_OF, holdout_days=200, params=Params(top_n=3))
    assert metrics["users"] > 10
    assert metrics["ndcg@3"] > metrics["popularity"]["ndcg@3"]
    assert 0 < metrics["coverage"] <= 1


def test_params_from_config_reads_strings():
    p = params_from_config({"top_n": "7", "max_per_category": "2", "half_life_days": "90", "ease_lambda": "100"})
    assert (p.top_n, p.max_per_category, p.half_life_days, p.ease_lambda) == (7, 2, 90.0, 100.0)
    assert p.version(("a", "b")) != Params().version(("a", "b"))
    assert p.ease_max_items == Params().ease_max_items
    capped = params_from_config({"top_n": 7, "max_per_category": 2, "half_life_days": 90, "ease_lambda": 100,
                                 "ease_max_items": "300"})  # fmt: skip
    assert capped.ease_max_items == 300


def test_empty_inputs_give_empty_or_trending_output():
    events, catalogue, customers, rules = shop()
    no_events = events.head(0)
    model = fit(no_events, catalogue, AS_OF)
    out = recommend(model, no_events, catalogue, customers, rules, AS_OF)
    assert out.groupby("customer_id").size().eq(Params().top_n).all()
    assert set(out["source"]) == {"trending"}
    empty = recommend(fit(no_events, catalogue.head(0), AS_OF), no_events, catalogue.head(0), customers, rules, AS_OF)
    assert empty.empty
    assert list(empty.columns) == ["customer_id", "rank", "product_id", "score", "source", "reason"]


def _customers_of(events: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": events["customer_id"].unique(), "preferred_category": None})


@pytest.mark.parametrize(
    ("case", "n_products", "n_active", "categories"),
    [
        ("no categories", 40, 40, False),
        ("a few products", 12, 12, True),
        ("exactly top_n active", 10, 10, True),
        ("most products inactive", 60, 11, True),
        ("fewer active than top_n", 30, 6, False),
    ],
)
def test_every_customer_gets_top_n_distinct_active_products(case, n_products, n_active, categories):
    rng = np.random.default_rng(3)
    catalogue = pd.DataFrame(
        {
            "product_id": [f"p{k}" for k in range(n_products)],
            "product_name": [f"Product {k}" for k in range(n_products)],
            "category": [f"cat{k % 3}" for k in range(n_products)] if categories else None,
            "brand": None,
            "price": 5.0,
            "is_active": np.arange(n_products) < n_active,
        }
    )
    rows = []
    for c in range(40):  # buyers of many products, some of them active, some bought twice
        for k in rng.choice(n_products, size=min(n_products, 15), replace=False):
            rows.append((f"c{c}", f"p{k}", "purchase", AS_OF - pd.Timedelta(days=int(rng.integers(1, 200)))))
    events = pd.DataFrame(rows, columns=["customer_id", "product_id", "interaction_type", "occurred_at"])
    events["order_id"] = [f"o{i}" for i in range(len(events))]
    customers = pd.concat([_customers_of(events), pd.DataFrame({"customer_id": ["cold"], "preferred_category": None})])
    params = Params(top_n=10, max_per_category=3)
    out = recommend(fit(events, catalogue, AS_OF, params), events, catalogue, customers, no_rules(), AS_OF)
    expected = min(10, n_active)
    assert out.groupby("customer_id").size().eq(expected).all(), case
    assert set(out["customer_id"]) == set(customers["customer_id"])
    assert not out.duplicated(["customer_id", "product_id"]).any()
    active = set(catalogue.loc[catalogue["is_active"], "product_id"])
    assert set(out["product_id"]) <= active
    assert out.groupby("customer_id")["rank"].apply(lambda r: sorted(r) == list(range(1, expected + 1))).all()


def test_a_customer_who_bought_the_whole_catalogue_still_gets_top_n():
    catalogue = pd.DataFrame({"product_id": [f"p{k}" for k in range(12)], "product_name": None, "category": "Books",
                              "brand": None, "price": 5.0, "is_active": True})  # fmt: skip
    events = pd.DataFrame({"customer_id": "reader", "product_id": catalogue["product_id"],
                           "interaction_type": "purchase", "occurred_at": AS_OF - pd.Timedelta(days=9),
                           "order_id": "o1"})  # fmt: skip
    out = recommend(fit(events, catalogue, AS_OF), events, catalogue, _customers_of(events), no_rules(), AS_OF)
    assert len(out) == 10
    assert out["product_id"].nunique() == 10


def grocery(n_customers: int = 300, days: int = 240):
    """Staples each household re-buys on its own cycle, and one-off treats nobody buys twice."""
    rng = np.random.default_rng(11)
    staples = [f"staple{k}" for k in range(30)]
    treats = [f"treat{k}" for k in range(60)]
    catalogue = pd.DataFrame(
        {
            "product_id": staples + treats,
            "product_name": [f"Name of {p}" for p in staples + treats],
            "category": [f"aisle{k % 6}" for k in range(30)] + [f"treats{k % 6}" for k in range(60)],
            "brand": None,
            "price": 3.0,
            "is_active": True,
        }
    )
    rows = []
    for c in range(n_customers):
        mine = rng.choice(staples, 6, replace=False)
        cycle = rng.choice([7, 14, 28], size=6)
        offset = rng.integers(0, cycle)
        for item, every, start in zip(mine, cycle, offset, strict=True):
            for day in range(int(start), days, int(every)):
                rows.append((f"h{c}", item, AS_OF - pd.Timedelta(days=days - day)))
        for day in rng.integers(0, days, size=4):
            rows.append((f"h{c}", rng.choice(treats), AS_OF - pd.Timedelta(days=days - int(day))))
    events = pd.DataFrame(rows, columns=["customer_id", "product_id", "occurred_at"])
    events["interaction_type"] = "purchase"
    events["order_id"] = events["customer_id"] + events["occurred_at"].dt.strftime("%Y%m%d")
    return events, catalogue


def test_the_ranker_learns_what_comes_back_and_when():
    events, catalogue = grocery()
    model = fit(events, catalogue, AS_OF)
    assert model.ranker is not None, model.ranker_info
    assert model.ranker_info["valid_ndcg@10"] > model.ranker_info["valid_ndcg@10_without_ranker"]
    out = recommend(model, events, catalogue, _customers_of(events), no_rules(), AS_OF)
    bought = events[["customer_id", "product_id"]].drop_duplicates()
    back = out.merge(bought, on=["customer_id", "product_id"])
    # staples come back first, with the household's own cycle in the reason; a treat only after them
    staple = back["product_id"].str.startswith("staple")
    top6 = out[out["rank"] <= 6].merge(back[staple], on=["customer_id", "product_id"], how="left", indicator=True)
    assert (top6["_merge"] == "both").mean() > 0.9  # six staples each: they fill the top six
    assert back[~staple]["rank"].min() > back[staple]["rank"].median()
    assert back[staple]["reason"].str.match(r"Buy again: you buy this about every (week|2 weeks|4 weeks)").all()
    # a later honest check: fit before the last 14 days, the household's staples due in them come first
    cut = AS_OF - pd.Timedelta(days=14)
    past, later = events[events["occurred_at"] < cut], events[events["occurred_at"] >= cut]
    recs = recommend(fit(past, catalogue, cut), past, catalogue, _customers_of(past), no_rules(), cut)
    truth = later[["customer_id", "product_id"]].drop_duplicates().rename(columns={"customer_id": "user_id"})
    learned = ranking_metrics(recs.rename(columns={"customer_id": "user_id"}), truth, len(catalogue), 10)
    no_ranker = fit(past, catalogue, cut)
    no_ranker.ranker = None
    plain = recommend(no_ranker, past, catalogue, _customers_of(past), no_rules(), cut)
    baseline = ranking_metrics(plain.rename(columns={"customer_id": "user_id"}), truth, len(catalogue), 10)
    assert learned["ndcg@10"] > baseline["ndcg@10"] + 0.05


def test_scoring_customers_in_chunks_gives_the_same_lists(monkeypatch):
    # with the ranker (re-buys) and without it: each customer's list depends on them and the model only
    events, catalogue = grocery()
    model = fit(events, catalogue, AS_OF)
    assert model.ranker is not None
    no_ranker = fit(events, catalogue, AS_OF)
    no_ranker.ranker = None
    key = ["customer_id", "rank"]
    for fitted in (model, no_ranker):
        whole = recommend(fitted, events, catalogue, _customers_of(events), no_rules(), AS_OF)
        with monkeypatch.context() as m:
            m.setattr(scoring, "SCORE_CHUNK_CUSTOMERS", 17)
            chunked = recommend(fitted, events, catalogue, _customers_of(events), no_rules(), AS_OF)
        assert len(whole) == 300 * 10
        pd.testing.assert_frame_equal(
            whole.sort_values(key).reset_index(drop=True), chunked.sort_values(key).reset_index(drop=True)
        )


def test_without_enough_recent_buyers_there_is_no_ranker_and_films_stay_excluded():
    events, catalogue, customers, rules = shop()
    model = fit(events, catalogue, AS_OF)
    assert model.ranker is None
    assert model.ranker_info["used"] is False
    out = recommend(model, events, catalogue, customers, rules, AS_OF)
    bought = events[events["interaction_type"] == "purchase"][["customer_id", "product_id"]].drop_duplicates()
    assert not out.merge(bought, on=["customer_id", "product_id"])["product_id"].str.startswith("book").any()


def test_purchase_cycles_in_words():
    assert in_words(1) == "about every day"
    assert in_words(5) == "about every 5 days"
    assert in_words(21) == "about every 3 weeks"
    assert in_words(7.4) == "about every week"
    assert in_words(90) == "about every 3 months"


def test_content_neighbours_on_a_large_catalogue_stay_within_the_category():
    from python_udfs.recs.content import content_similarity

    n = 300
    products = pd.DataFrame({"product_id": [f"p{k}" for k in range(n)],
                             "product_name": [f"tea {k % 7}" for k in range(n)],
                             "category": [f"c{k % 4}" for k in range(n)], "brand": None,
                             "price": [1.0 + k % 5 for k in range(n)]})  # fmt: skip
    full = content_similarity(products, 5, full_items=10_000)
    blocked = content_similarity(products, 5, full_items=100)
    for sim in (full, blocked):
        assert sim.shape == (n, n)
        assert (np.diff(sim.indptr) <= 5).all()
        assert sim.diagonal().sum() == 0
    rows, cols = blocked.nonzero()
    category = products["category"].to_numpy()
    assert (category[rows] == category[cols]).all()
    assert blocked.nnz == n * 5


def test_the_warehouse_row_order_does_not_change_the_recommendations():
    """The warehouse returns rows in any order; fits and lists are the same for every order (issue 14)."""
    events, catalogue = grocery(n_customers=240, days=150)
    catalogue = catalogue.assign(category=np.where(np.arange(len(catalogue)) % 3 == 0, None, catalogue["category"]))
    customers = _customers_of(events)

    def run(seed: int | None) -> tuple[pd.DataFrame, dict]:
        def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
            return frame if seed is None else frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)

        ev, cat, cust = shuffled(events), shuffled(catalogue), shuffled(customers)
        model = fit(ev, cat, AS_OF)
        out = recommend(model, ev, cat, cust, no_rules(), AS_OF)
        metrics = evaluate(ev, cat, cust, no_rules(), AS_OF, 14)
        return out.sort_values(["customer_id", "rank"]).reset_index(drop=True), metrics

    first, first_metrics = run(None)
    for seed in (1,):
        again, metrics = run(seed)
        pd.testing.assert_frame_equal(first, again)
        assert metrics == first_metrics


def test_ids_are_codes_inside_and_ids_outside():
    """recs/codes.py: codes sort as the ids do, a saved model keeps ids, and the lists come back with ids."""
    events, catalogue, customers, rules = shop()
    codes, coded, coded_catalogue, coded_customers = Codes.encode(events, catalogue, customers)
    assert list(codes.customers) == sorted({*events["customer_id"], *customers["customer_id"]})
    assert list(codes.products) == sorted({*events["product_id"], *catalogue["product_id"]})
    assert (codes.customers[coded["customer_id"]] == events["customer_id"].to_numpy()).all()
    assert (codes.products[coded_catalogue["product_id"]] == catalogue["product_id"].to_numpy()).all()
    assert (codes.customers[coded_customers["customer_id"]] == customers["customer_id"].to_numpy()).all()
    assert coded["order_id"].notna().all()
    assert coded["order_id"].is_unique
    model = fit(events, catalogue, AS_OF)
    assert set(model.cf_items) <= set(catalogue["product_id"])
    assert set(model.seen.index) <= set(codes.products)
    # a model fitted before a product left the catalogue: scoring leaves that product out of the codes' model
    fewer = catalogue[catalogue["product_id"] != "book11"]
    codes_now, *_ = Codes.encode(events[events["product_id"] != "book11"], fewer, customers)
    coded_model = codes_now.model_to_codes(model)
    assert -1 in coded_model.cf_items
    assert len(coded_model.seen) == len(model.seen) - 1
    lists = recommend(model, events, catalogue.assign(product_name=None), customers, rules, AS_OF)
    assert set(lists["customer_id"]) == set(customers["customer_id"])
    assert set(lists["product_id"]) <= set(catalogue["product_id"])
    # a product without a name is called by its id, not by its code
    anchored = lists[lists["reason"].str.startswith(("Similar to", "Goes with", "Because"))]
    assert len(anchored)
    assert anchored["reason"].str.contains(r"(?:book|cam|acc|pod)\w*\b", regex=True).all()
    assert not anchored["reason"].str.contains(r"\b\d+\b", regex=True).any()


def test_events_read_as_categoricals_give_the_same_lists_and_codes_sort_as_pandas_does():
    events, catalogue, customers, rules = shop()
    events.loc[events.index[::7], "order_id"] = None  # lines without an order id sort last
    categorical = events.astype(dict.fromkeys(EVENT_CATEGORICAL, "category"))
    shuffled = categorical.sample(frac=1, random_state=3)
    model = fit(events, catalogue, AS_OF)
    for other in (shuffled, events.sample(frac=1, random_state=4)):
        pd.testing.assert_frame_equal(recommend(model, events, catalogue, customers, rules, AS_OF),
                                      recommend(model, other, catalogue, customers, rules, AS_OF))  # fmt: skip
    _, coded, coded_catalogue, _ = Codes.encode(shuffled, catalogue)
    fast, _, _ = in_order(coded, coded_catalogue)
    by_pandas = coded.sort_values(EVENT_ORDER, kind="stable", na_position="last").reset_index(drop=True)
    pd.testing.assert_frame_equal(fast, by_pandas)
    again, _, _ = in_order(fast, coded_catalogue)  # already in order: kept as it is
    pd.testing.assert_frame_equal(again, by_pandas)


def test_packed_sort_keys_give_the_order_of_the_keys_they_pack():
    """model._packed: fewer keys, the same lexicographic order, missing (int64 max) still last."""
    missing = np.iinfo(np.int64).max
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(0, 40))
        keys = []
        for _ in range(5):
            low = int(rng.integers(-(10 ** int(rng.integers(0, 15))), 10))
            key = rng.integers(low, low + int(rng.integers(1, 10 ** int(rng.integers(1, 17)))), n)
            key[rng.random(n) < 0.2] = missing
            keys.append(key)
        packed = _packed(keys)
        assert len(packed) <= len(keys)
        assert (np.lexsort(packed[::-1]) == np.lexsort(keys[::-1])).all()
    small = [np.array([2, 1, 1, missing]), np.array([0, missing, 3, 0])]
    assert len(_packed(small)) == 1


def test_string_ids_are_coded_in_python_string_order():
    """codes._distinct sorts strings with Arrow: the order Python's sorted() gives, accents and case included."""
    ids = pd.Series(["b", "a", None, "é", "Z", "10", "9", "a"])
    also = pd.Series(pd.Categorical(["c", "a"], categories=["x", "c", "a"]))  # "x" is not used
    assert list(_distinct(ids, also)) == sorted({"b", "a", "é", "Z", "10", "9", "c"})
    assert list(_distinct(pd.Series([3, 1, 2]))) == [1, 2, 3]  # numbers still sort as numbers
    # columns of Arrow strings only (what the warehouse and pandas' str dtype give) take Arrow's own path
    arrow = (
        pd.Series(["b", None, "é", "Z", "10"], dtype="str"),
        pd.Series(pd.array(["9", "a", None, "b"], dtype="string[pyarrow]")),
    )
    assert codes_module._distinct_strings(arrow) is not None
    assert list(_distinct(*arrow)) == sorted({"b", "é", "Z", "10", "9", "a"})
    assert {type(value) for value in _distinct(*arrow)} == {str}


def test_lists_get_their_ids_back_as_pandas_would_make_them():
    """Codes.lists_to_ids: string ids come back in pandas' str dtype (taken by Arrow), other ids by numpy."""
    lists = pd.DataFrame({"customer_id": [2, 0, 2], "product_id": [1, 1, 0], "rank": [1, 1, 2]})
    codes = Codes(np.array(["c0", "c1", "c2"], dtype=object), np.array([10, 20]))
    out = codes.lists_to_ids(lists)
    expected = lists.assign(customer_id=np.array(["c2", "c0", "c2"], dtype=object), product_id=[20, 20, 10])
    pd.testing.assert_frame_equal(out, expected)
    assert out["customer_id"].dtype == pd.Series(["x"]).dtype  # what pandas infers for strings
    assert out["product_id"].dtype == np.int64


def test_the_shallow_trending_fill_gives_the_lists_of_the_full_depth(monkeypatch):
    """ranking.fill_with_trending fills shallow first, then at the full depth the customers still short."""
    rng = np.random.default_rng(5)
    catalogue = pd.DataFrame({"product_id": [f"p{k:02d}" for k in range(50)], "product_name": None,
                              "category": [f"cat{k % 5}" for k in range(50)], "brand": None, "price": 1.0,
                              "is_active": True})  # fmt: skip
    rows = []
    for c in range(120):  # light buyers, and heavy ones who own most of what is trending
        n = int(rng.integers(1, 5)) if c % 4 else int(rng.integers(35, 48))
        for product in rng.choice(catalogue["product_id"], n, replace=False):
            rows.append((f"c{c:03d}", product, AS_OF - pd.Timedelta(days=int(rng.integers(1, 90)))))
    events = pd.DataFrame(rows, columns=["customer_id", "product_id", "occurred_at"])
    events["interaction_type"] = "purchase"
    events["order_id"] = events["customer_id"] + events["occurred_at"].dt.strftime("%Y%m%d")
    customers = _customers_of(events)
    model = fit(events, catalogue, AS_OF)
    calls = []
    diversify = ranking.diversify
    monkeypatch.setattr(ranking, "diversify", lambda *args: calls.append(1) or diversify(*args))
    shallow_first = recommend(model, events, catalogue, customers, no_rules(), AS_OF)
    shallow_calls = len(calls)
    calls.clear()
    monkeypatch.setattr(ranking, "_shallow_depth", lambda p: 10**9)  # one fill at the full depth, as before
    full_depth = recommend(model, events, catalogue, customers, no_rules(), AS_OF)
    assert shallow_calls == len(calls) + 1, "the heavy buyers were filled again at the full depth"
    key = ["customer_id", "rank"]
    pd.testing.assert_frame_equal(shallow_first.sort_values(key).reset_index(drop=True),
                                  full_depth.sort_values(key).reset_index(drop=True))  # fmt: skip


def test_a_retrain_fits_each_base_once_and_the_model_is_the_same(monkeypatch, tmp_path):
    """The evaluation's fit at as_of - 30 days is the deployed ranker's base: fitted once (fitting.fit_coded)."""
    events, catalogue = grocery()
    calls = []
    real = fitting._fit_base

    def counted(ev, products, as_of, params):
        calls.append(pd.Timestamp(as_of))
        return real(ev, products, as_of, params)

    monkeypatch.setattr(fitting, "_fit_base", counted)
    row = train_recommender(events, catalogue, _customers_of(events), no_rules(), AS_OF, Params(), 30, tmp_path,
                            "2026-01-01 00:00:00")  # fmt: skip
    assert sorted(calls) == sorted(set(calls)), "no base fitted twice"
    assert AS_OF - pd.Timedelta(days=30) in calls
    alone = fit(events, catalogue, AS_OF)  # no shared fits: the same deployed model
    saved = joblib.load(tmp_path / row["artifact_path"])["model"]
    assert np.array_equal(saved.b, alone.b)
    assert saved.ranker_info == alone.ranker_info


def _numpy_dense_picks(cf, c_user, c_item, active, content, rule, owned_r, owned_col, k):
    """What candidates._dense_picks computes, as the numpy expressions scoring used before it (the reference)."""
    block = np.clip(cf, 0, None)
    block /= np.maximum(block.max(axis=1, keepdims=True), 1e-12)
    ct_cf = content.toarray()
    ru_cf = rule.toarray().astype(np.float32)
    trust = c_user[:, None] * c_item[None, :]
    hybrid = block * trust
    np.subtract(1, trust, out=trust)
    np.multiply(ct_cf, trust, out=trust)
    hybrid += trust
    score = hybrid + ru_cf
    score[:, ~active] = 0
    score[owned_r, owned_col] = 0
    r, c = _best_positive(score, k)
    parts = {"value": score, "collaborative": block, "content": ct_cf, "hybrid": hybrid, "rule": ru_cf}
    return block, {"r": r, "i": c, **{name: values[r, c] for name, values in parts.items()}}


@pytest.mark.parametrize("k", [1, 3, 30, 200])
def test_dense_picks_are_the_numpy_scores_and_picks_to_the_bit(k):
    """candidates._dense_picks (compiled) against the numpy expressions: the scaled collaborative scores, each
    pick's score and parts, and the picks themselves: negative and all-zero rows, inactive and owned products,
    rows with fewer positive scores than k, ties at the k-th score (the first columns win) and k = the width."""
    rng = np.random.default_rng(17)
    n_rows, width = 60, 200
    cf = rng.standard_normal((n_rows, width)).astype(np.float32)
    cf[3] = -np.abs(cf[3])  # nothing positive
    cf[4] = 0
    cf[5, 10:] = -1  # ten positive at most
    cf[6] = np.round(cf[6], 1)  # many ties
    cf[7, ::2] = cf[7, 1]  # a hundred equal scores
    c_user = rng.random(n_rows).astype(np.float32)
    c_user[8] = 1  # collaborative only
    c_user[9] = 0  # content only
    c_item = rng.random(width).astype(np.float32)
    active = rng.random(width) > 0.1
    content = sp.random(n_rows, width, density=0.05, format="csr", random_state=1, dtype=np.float32)
    content.data[:] = np.round(content.data, 1)
    rule = sp.random(n_rows, width, density=0.02, format="csr", random_state=2, dtype=np.float32)
    rule.data[:] = np.where(rule.data > 0.5, 0.3, 0.1)
    owned = sp.random(n_rows, width, density=0.03, format="csr", random_state=3)
    owned_r, owned_col = owned.nonzero()
    k = min(k, width)
    want_cf, want = _numpy_dense_picks(cf, c_user, c_item, active, content, rule, owned_r, owned_col, k)
    got_cf = cf.copy()
    picks = {name: np.empty(n_rows * k, kind) for name, kind in candidates._PICK_COLUMNS.items()}
    n = candidates._dense_picks(got_cf, c_user, c_item, active, content.indptr, content.indices, content.data,
                                rule.indptr, rule.indices, rule.data, np.searchsorted(owned_r, np.arange(n_rows + 1)),
                                owned_col, k, np.nextafter(np.float32(0), np.float32(1)), *picks.values())  # fmt: skip
    assert np.array_equal(got_cf, want_cf)
    assert n == len(want["r"])
    for name, values in want.items():
        assert np.array_equal(picks[name][:n], values), name
    if k >= 30:
        assert n < n_rows * k, "some rows have fewer than k positive scores"


def test_dense_scores_in_tiles_of_columns_give_the_same_lists(monkeypatch):
    """candidates._dense_discoveries multiplies the profiles by the EASE weights DENSE_TILE_COLUMNS columns at a
    time: tiles of one and of seven columns (the last one narrower), in batches of 50 customers, give the lists
    and scores of one tile, to the bit."""
    events, catalogue = grocery()
    model = fit(events, catalogue, AS_OF)
    for fitted in (model, replace(model, ranker=None)):  # ranked, and by the hybrid score
        whole = recommend(fitted, events, catalogue, _customers_of(events), no_rules(), AS_OF)
        width = len(fitted.cf_items)
        assert width % 7, "the last tile of seven columns is narrower"
        for columns_per_tile in (1, 7):
            with monkeypatch.context() as m:
                m.setattr(candidates, "DENSE_TILE_COLUMNS", columns_per_tile)
                tiled = recommend(replace(fitted, params=replace(fitted.params, batch_size=50)), events, catalogue,
                                  _customers_of(events), no_rules(), AS_OF)  # fmt: skip
            pd.testing.assert_frame_equal(whole, tiled, check_exact=True)


def test_lists_do_not_depend_on_which_customers_are_scored_together(monkeypatch):
    """Products with the same content tie, and the trending fill's depth is every customer's: chunks of 17
    customers give the lists one chunk gives (scoring.recommend_coded), reasons included."""
    events, catalogue = grocery()
    catalogue["product_name"] = "Same name"  # every treat and staple of an aisle has the same content
    model = fit(events, catalogue, AS_OF, Params(ease_max_items=5))  # most products outside EASE: sparse scores
    model.ranker = None  # the hybrid score, where content ties show
    customers = pd.concat([_customers_of(events), pd.DataFrame({"customer_id": ["cold1", "cold2"]})])
    whole = recommend(model, events, catalogue, customers, no_rules(), AS_OF)
    with monkeypatch.context() as m:
        m.setattr(scoring, "SCORE_CHUNK_CUSTOMERS", 17)
        chunked = recommend(model, events, catalogue, customers, no_rules(), AS_OF)
        threaded = recommend(model, events, catalogue, customers, no_rules(), AS_OF, threads=3)
    pd.testing.assert_frame_equal(whole, chunked)
    pd.testing.assert_frame_equal(whole, threaded)  # chunks scored 3 at a time: the same lists, in the same order


def test_chunks_scored_in_threads_rank_with_the_same_ranker_and_leave_the_model_as_it_was(monkeypatch):
    """With threads, each chunk predicts with a one-thread copy of the ranker (ranker.one_thread): the same
    lists as one thread, and the model's own booster keeps its settings."""
    events, catalogue = grocery()
    model = fit(events, catalogue, AS_OF)
    assert model.ranker is not None
    before = model.ranker.save_config()
    customers = _customers_of(events)
    with monkeypatch.context() as m:
        m.setattr(scoring, "SCORE_CHUNK_CUSTOMERS", 17)
        one = recommend(model, events, catalogue, customers, no_rules(), AS_OF)
        two = recommend(model, events, catalogue, customers, no_rules(), AS_OF, threads=2)
    pd.testing.assert_frame_equal(one, two)
    assert model.ranker.save_config() == before
    assert '"nthread":"1"' in ranker.one_thread(model.ranker).save_config().replace(" ", "")


def test_the_top_entries_of_a_sparse_row_break_ties_by_product_not_by_batch():
    """candidates._top_per_row_csr: a row's picks are the same whatever other rows share its batch."""
    rng = np.random.default_rng(5)
    row = np.round(rng.random(40), 1).astype(np.float32) + 0.1  # many equal values
    alone = sp.csr_matrix((row, (np.zeros(40, int), np.arange(40))), shape=(1, 400))
    with_wide = sp.vstack([alone, sp.csr_matrix(np.ones((1, 400), np.float32))], format="csr")  # a wider row
    for k in (5, 12, 17):
        first = set(alone.indices[_top_per_row_csr(alone, k)])
        together = _top_per_row_csr(with_wide, k)
        assert first == set(with_wide.indices[together[together < alone.nnz]])
        threshold = np.sort(row)[::-1][k - 1]
        assert {int(j) for j in np.flatnonzero(row > threshold)} <= first
        assert first == set(np.lexsort((np.arange(40), -row))[:k])  # ties: the lowest product index first


def test_the_best_positive_values_of_each_row_are_the_k_largest_ties_by_column():
    """candidates._best_positive against a plain sort of every row: (-value, column), positives only.

    Rows of 90 values are partitioned whole; rows of 700 rank only what reaches the floor of their column
    blocks' maxima: both must pick as the sort does, ties, zeros, -inf and few positives included."""
    rng = np.random.default_rng(11)
    for width in (90, 700):
        values = np.round(rng.normal(0.2, 0.5, (60, width)), 1).astype(np.float32)  # many ties, zeros, negatives
        values[7] = 0.0  # a row with nothing positive
        values[8, :] = 0.3  # a row of one value
        values[9, : width // 2] = -np.inf
        values[10] = 0.0
        values[10, :40] = np.arange(40, 0, -1) / 40  # every positive in the first block or two
        values[11] = np.where(np.arange(width) % 97 == 0, 0.5, 0.0)  # fewer positives than some k
        for k in (1, 5, 30, 90, 200):
            rows, cols = _best_positive(values, k)
            expected = [
                (r, c)
                for r in range(len(values))
                for c in sorted(np.lexsort((np.arange(width), -values[r]))[:k])
                if values[r, c] > 0
            ]
            assert list(zip(rows.tolist(), cols.tolist(), strict=True)) == expected  # row order, then column order
    assert len(_best_positive(np.zeros((0, 4), np.float32), 3)[0]) == 0


def test_membership_in_a_sorted_table_is_np_isin():
    rng = np.random.default_rng(5)
    keys = rng.integers(-5, 200, 1000)
    for table in (np.sort(rng.integers(0, 150, 60)), np.array([7]), np.zeros(0, np.int64)):
        assert (ranking.in_sorted(keys, table) == np.isin(keys, table)).all()


def test_the_most_owned_count_is_the_same_for_events_in_order_or_not():
    ev = pd.DataFrame({"customer_id": [0, 0, 0, 1, 1, 2, 2, 2, 2], "product_id": [1, 1, 2, 3, 3, 1, 2, 3, 4],
                       "interaction_type": ["purchase"] * 8 + ["view"]})  # fmt: skip
    everyone = np.array([0, 1, 2])
    assert scoring._most_owned(ev, everyone) == 3  # customer 2 bought three products and viewed a fourth
    assert scoring._most_owned(ev.iloc[::-1], everyone) == 3
    assert scoring._most_owned(ev, np.array([1])) == 1


def test_a_profile_counts_orders_by_basket_or_by_moment_and_never_other_interactions():
    t = AS_OF - pd.Timedelta(days=10)
    hour = pd.Timedelta(hours=1)
    ev = pd.DataFrame(
        {
            "customer_id": [0, 0, 0, 0, 0, 0, 0, 1, 1],
            "product_id": [5, 5, 5, 5, 5, 6, 6, 5, 5],
            "interaction_type": [
                "purchase",
                "purchase",
                "purchase",
                "purchase",
                "view",
                "view",
                "cart",
                "purchase",
                "purchase",
            ],
            # two lines of order 3, two purchases without an order at one moment, one at another
            "occurred_at": [t, t + hour, t + 2 * hour, t + 2 * hour, t + 3 * hour, t, t, t - 999 * hour, t],
            "order_id": [3.0, 3.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, 0.0],
        }
    )
    ev["interaction_type"] = pd.Categorical(ev["interaction_type"], categories=["cart", "purchase", "view"])
    prof = candidates._profiles(ev, AS_OF, Params()).set_index(["customer_id", "product_id"])
    assert prof["orders"].to_dict() == {(0, 5): 2, (0, 6): 0, (1, 5): 2}
    assert prof["purchased"].to_dict() == {(0, 5): True, (0, 6): False, (1, 5): True}


def test_profiles_rank_each_customers_products_latest_first_then_by_product():
    """position: per customer, the latest interaction first, products in order among equal times, no time last;
    the same order as sorting by customer, time descending and product (random events with many tied times)."""
    rng = np.random.default_rng(5)
    n = 3000
    ev = pd.DataFrame({"customer_id": rng.integers(0, 40, n), "product_id": rng.integers(0, 30, n),
                       "interaction_type": rng.choice(["purchase", "cart", "view"], n),
                       "occurred_at": AS_OF - pd.to_timedelta(rng.integers(1, 6, n), unit="D"),
                       "order_id": np.nan})  # fmt: skip
    ev.loc[ev["customer_id"] == 3, "occurred_at"] = pd.NaT  # a customer whose interactions have no time
    ev.loc[(ev["customer_id"] == 4) & (ev["product_id"] < 10), "occurred_at"] = pd.NaT
    ev["interaction_type"] = pd.Categorical(ev["interaction_type"], categories=["cart", "purchase", "view"])
    prof = candidates._profiles(ev, AS_OF, Params())
    expected = prof.sort_values(["customer_id", "last_at", "product_id"], ascending=[True, False, True])
    assert prof[["customer_id", "product_id"]].equals(expected[["customer_id", "product_id"]].reset_index(drop=True))
    assert (prof.groupby("customer_id")["position"].diff().dropna() == 1).all()
    assert prof.loc[prof["customer_id"] == 4].tail(1)["last_at"].isna().all()
    assert prof["last_at"].isna().sum() > 0  # the case is there
    assert prof["last_at"].duplicated().any()


def _events_in_pair_order(seed: int, n: int = 4000) -> pd.DataFrame:
    """Random interactions with codes for ids, put in in_order's order: pairs with many rows, repeated moments."""
    rng = np.random.default_rng(seed)
    moments = AS_OF - pd.to_timedelta(rng.integers(0, 40, n), unit="D")  # few moments: the same one again
    ev = pd.DataFrame({"customer_id": rng.integers(0, 60, n), "product_id": rng.integers(0, 25, n),
                       "interaction_type": rng.choice(["purchase", "cart", "click", "view"], n),
                       "occurred_at": moments, "order_id": rng.integers(0, 500, n).astype(float)})  # fmt: skip
    catalogue = pd.DataFrame({"product_id": np.arange(25)})
    return in_order(ev, catalogue)[0]


def test_pair_runs_mark_where_each_pair_starts_only_for_codes_in_pair_order():
    from python_udfs.recs.model import pair_runs

    ev = _events_in_pair_order(1)
    c, p = ev["customer_id"].to_numpy(), ev["product_id"].to_numpy()
    first = pair_runs(c, p)
    assert first is not None
    assert first.sum() == len(ev.drop_duplicates(["customer_id", "product_id"]))
    assert (np.flatnonzero(first) == ev.drop_duplicates(["customer_id", "product_id"]).index.to_numpy()).all()
    assert pair_runs(c[::-1].copy(), p[::-1].copy()) is None  # not in order
    assert pair_runs(np.r_[c, c[-1]], np.r_[p, -1]) is None  # a missing product (-1)
    assert pair_runs(c.astype(str), p) is None  # not codes


def test_the_interaction_matrix_of_events_in_pair_order_is_the_pairs_group_to_the_bit():
    p = Params()
    for seed in (2, 3):
        ev = _events_in_pair_order(seed)
        x, items = fitting._interactions(ev, p)
        w = ev["interaction_type"].map(p.weights()).astype(float)
        pairs = ev.assign(w=w).groupby(["customer_id", "product_id"])["w"].sum().clip(upper=1.0).reset_index()
        customers = np.unique(pairs["customer_id"])
        assert (items == np.sort(pairs["product_id"].unique())).all()
        expected = np.zeros((len(customers), len(items)))
        at = np.searchsorted(customers, pairs["customer_id"]), np.searchsorted(items, pairs["product_id"])
        expected[at] = pairs["w"].to_numpy()
        assert np.array_equal(x.toarray(), expected)  # the same floats, not close ones
        # not in order: grouped by pandas, the same matrix up to the order the floats were added in
        shuffled, shuffled_items = fitting._interactions(ev.sample(frac=1, random_state=seed), p)
        assert (shuffled_items == items).all()
        assert np.allclose(shuffled.toarray(), expected, rtol=0, atol=1e-12)


def test_purchase_pairs_of_events_in_pair_order_are_their_groups():
    ev = _events_in_pair_order(4)
    purchases = ev[ev["interaction_type"] == "purchase"]
    expected = (
        purchases.groupby(["customer_id", "product_id"])
        .agg(orders=("occurred_at", "nunique"), first=("occurred_at", "min"), last=("occurred_at", "max"))
        .reset_index()
    )
    assert (expected["orders"] < purchases.groupby(["customer_id", "product_id"]).size().to_numpy()).any()
    pd.testing.assert_frame_equal(fitting._purchase_pairs(purchases), expected)
    pd.testing.assert_frame_equal(fitting._purchase_pairs(purchases.iloc[::-1]), expected)  # grouped by pandas


def _repeat_rates_by_groups(events: pd.DataFrame, products: pd.DataFrame, params: Params) -> pd.DataFrame:
    """fitting._repeat_rates as it was written with pandas groups by category name: the reference."""
    category = products.drop_duplicates("product_id").set_index("product_id")["category"]
    purchases = events[events["interaction_type"] == "purchase"]
    per_pair = (
        purchases.groupby(["customer_id", "product_id"])
        .agg(orders=("occurred_at", "nunique"), first=("occurred_at", "min"), last=("occurred_at", "max"))
        .reset_index()
    )
    per_pair["category"] = per_pair["product_id"].map(category)
    category_last = per_pair.groupby(["customer_id", "category"])["last"].max().rename("category_last")
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


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_repeat_rates_are_those_of_groups_by_category_to_the_bit(seed):
    """Products without a category, bought products missing from the catalogue, catalogue products nobody
    bought, a category nobody is eligible in, in pair order (codes) and not (string ids)."""
    rng = np.random.default_rng(seed)
    ev = _events_in_pair_order(seed, n=6000)
    names = np.array(["a", "b", "c", "d", None], dtype=object)
    catalogue = pd.DataFrame({"product_id": np.arange(2, 30), "category": names[rng.integers(0, 5, 28)]})
    catalogue.loc[catalogue["product_id"] == 29, "category"] = "only_here"  # nobody buys product 29
    catalogue["category"] = catalogue["category"].astype("str")  # pandas' strings, as the warehouse gives them
    assert catalogue["category"].isna().any()
    assert not catalogue["product_id"].isin([0, 1]).any()
    p = Params()
    expected = _repeat_rates_by_groups(ev, catalogue, p)
    assert expected["repeat_rate"].nunique() > 5  # rates of their own, not only priors
    pd.testing.assert_frame_equal(fitting._repeat_rates(ev, catalogue, p), expected, check_exact=True)
    # string ids, rows in no order: the customers are numbered by pandas
    shuffled = ev.sample(frac=1, random_state=seed).assign(customer_id=lambda f: "c" + f["customer_id"].astype(str))
    pd.testing.assert_frame_equal(fitting._repeat_rates(shuffled, catalogue, p), expected, check_exact=True)
    # times with a time zone (objects in numpy)
    zoned = ev.assign(occurred_at=ev["occurred_at"].dt.tz_localize("UTC"))
    pd.testing.assert_frame_equal(fitting._repeat_rates(zoned, catalogue, p), expected, check_exact=True)
    none_bought = ev[ev["interaction_type"] != "purchase"]
    assert (fitting._repeat_rates(none_bought, catalogue, p)["repurchase_days"] == 30.0).all()
    # no catalogue: no rows; no category at all: nobody is eligible anywhere (the groups by name failed here)
    assert fitting._repeat_rates(ev, catalogue.iloc[:0], p).empty
    no_category = catalogue.assign(category=pd.Series(np.nan, index=catalogue.index, dtype="str"))
    rates = fitting._repeat_rates(ev, no_category, p)
    assert (rates["repeat_rate"] == 0.0).all()
    assert (rates["repurchase_days"] == 30.0).all()


@pytest.mark.parametrize("seed", [9, 10])
def test_trend_weights_of_coded_events_are_the_series_arithmetic_to_the_bit(seed):
    ev = _events_in_pair_order(seed)
    ev = ev.assign(interaction_type=ev["interaction_type"].astype("category"),
                   occurred_at=ev["occurred_at"] - pd.to_timedelta(np.arange(len(ev)) * 997, unit="us"))  # fmt: skip
    ev["occurred_at"] = ev["occurred_at"].astype("datetime64[us]")
    p = Params()
    age = (AS_OF - ev["occurred_at"]).dt.total_seconds() / 86400
    w = ev["interaction_type"].map(p.weights()).astype(float) * 0.5 ** (age / p.trending_half_life_days)
    expected = w.groupby(ev["product_id"]).sum()
    got = candidates._trend_weights(ev, AS_OF, p)
    pd.testing.assert_series_equal(got, expected, check_exact=True)
    # times and as_of in any unit: the same numbers (nanoseconds take the Series arithmetic itself)
    for unit in ("s", "ms", "us", "ns"):
        for as_of in (AS_OF, pd.Timestamp("2026-05-01 10:00:00.123456"), pd.Timestamp("2026-05-01 10:00:00.1234567")):
            timed = ev.assign(occurred_at=ev["occurred_at"].astype(f"datetime64[{unit}]"))
            timed_age = (as_of - timed["occurred_at"]).dt.total_seconds() / 86400
            timed_w = timed["interaction_type"].map(p.weights()).astype(float) * 0.5 ** (
                timed_age / p.trending_half_life_days
            )
            pd.testing.assert_series_equal(candidates._trend_weights(timed, as_of, p),
                                           timed_w.groupby(timed["product_id"]).sum(), check_exact=True)  # fmt: skip
    # ids that are not codes take the Series arithmetic itself
    as_text = ev.assign(product_id=ev["product_id"].astype(str))
    assert np.array_equal(candidates._trend_weights(as_text, AS_OF, p).to_numpy(),
                          w.groupby(as_text["product_id"]).sum().to_numpy())  # fmt: skip


def test_customers_per_product_of_events_in_pair_order_is_their_nunique():
    from python_udfs.recs.evaluation import _customers_per_product

    ev = _events_in_pair_order(5)
    ev = ev[ev["product_id"] != 3]  # a product nobody interacted with
    expected = ev.groupby("product_id")["customer_id"].nunique()
    pd.testing.assert_series_equal(_customers_per_product(ev), expected)
    pd.testing.assert_series_equal(_customers_per_product(ev.iloc[::-1]), expected)


def test_the_top_entries_of_sparse_rows_are_each_rows_k_largest_positive_ones_first_stored_first():
    """candidates._top_per_row_csr against a plain sort of every row: short rows keep all their positive
    entries, long ones are partitioned; empty rows (last ones too), zeros and negatives, ties by storage."""
    rng = np.random.default_rng(17)
    lengths = np.r_[0, rng.integers(0, 12, 40), 60, 0, 35, 0, 0]
    rows = np.repeat(np.arange(len(lengths)), lengths)
    data = np.round(rng.normal(0.1, 0.3, len(rows)), 1).astype(np.float32)  # ties, zeros, negatives
    cols = np.concatenate([rng.permutation(200)[:n] for n in lengths])  # stored in no column order
    matrix = sp.csr_matrix((data, cols, np.r_[0, np.cumsum(lengths)]), shape=(len(lengths), 200))
    for k in (1, 3, 8, 30, 100):
        expected = []
        for r in range(len(lengths)):
            lo, hi = matrix.indptr[r], matrix.indptr[r + 1]
            order = np.lexsort((np.arange(hi - lo), -matrix.data[lo:hi]))[:k]
            expected += sorted(lo + j for j in order if matrix.data[lo + j] > 0)
        assert _top_per_row_csr(matrix, k).tolist() == expected
    assert len(_top_per_row_csr(sp.csr_matrix((3, 5), dtype=np.float32), 4)) == 0


@pytest.mark.parametrize("n", [1, 3, 255, 256, 257, 600])
def test_ease_inverts_the_gram_matrix_as_numpy_does(n):
    """collaborative._inverse_positive_definite (Cholesky) gives np.linalg.inv's inverse but for rounding, whole
    and symmetric across its bands of rows; a matrix that is not positive definite goes to np.linalg.inv."""
    rng = np.random.default_rng(n)
    x = (rng.random((2_000, n)) < 0.05).astype(np.float64)
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += 5.0
    before = gram.copy()
    got = collaborative._inverse_positive_definite(gram)
    want = np.linalg.inv(before)
    np.testing.assert_array_equal(gram, before)  # the input is left as it was
    assert np.abs(got - want).max() <= 1e-12 * np.abs(want).max()
    np.testing.assert_array_equal(got, got.T)
    with pytest.raises(np.linalg.LinAlgError):
        collaborative._inverse_positive_definite(np.ones((4, 4)))


def test_buy_again_dates_are_worded_as_strftime_words_them():
    """reasons._day_texts formats each distinct day once: the texts of .dt.strftime, NaN where a date is missing."""
    from python_udfs.recs.reasons import _day_texts

    moments = pd.Series(pd.to_datetime(["2026-01-02 13:00", "2025-12-31 23:59:59.999999", None, "2026-01-02 01:00",
                                        "1999-03-04", None], format="mixed")).astype("datetime64[us]")  # fmt: skip
    got, want = _day_texts(moments), moments.dt.strftime("%d %b %Y").to_numpy()
    assert list(got[[0, 1, 3, 4]]) == list(want[[0, 1, 3, 4]]) == ["02 Jan 2026", "31 Dec 2025", "02 Jan 2026",
                                                                   "04 Mar 1999"]  # fmt: skip
    assert pd.isna(got[2])
    assert pd.isna(got[5])
    assert pd.isna(want[2])
    assert len(_day_texts(moments.iloc[:0])) == 0
    in_paris = moments.dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")  # 31 Dec 23:59 UTC is 1 Jan there
    assert list(_day_texts(in_paris)[[0, 1]]) == list(in_paris.dt.strftime("%d %b %Y")[[0, 1]]) == [
        "02 Jan 2026", "01 Jan 2026"]  # fmt: skip


def test_known_kinds_of_a_categorical_are_its_isin_and_checksums_see_the_same_integers():
    from python_udfs.recs.fitting import _as_int64
    from python_udfs.recs.model import KINDS, _known_kind

    kinds = pd.Series(["view", None, "refund", "purchase", "click", "cart", "view"])
    as_category = kinds.astype(pd.CategoricalDtype(["cart", "click", "purchase", "refund", "view", "unused"]))
    for column in (kinds, as_category, kinds.astype("str")):
        assert (_known_kind(column) == column.isin(KINDS).to_numpy()).all()
    assert _known_kind(as_category).tolist() == [True, False, False, True, True, True, True]
    times = pd.Series(pd.to_datetime(["2026-01-01 10:00:00.000001", "1969-12-31 00:00:00.000000"])).astype(
        "datetime64[us]"
    )
    for values in (np.array([3, -1, 2**40]), np.array([3, 7], dtype=np.int32), times.to_numpy()):
        assert (_as_int64(values) == values.astype(np.int64)).all()


@pytest.mark.parametrize("kind", ["str", "string", object])
def test_the_customer_frame_is_the_frame_of_the_features_values(kind):
    from python_udfs.recs.training import customer_frame

    features = pd.DataFrame({"customer_id": pd.Series(["a", "b", None], dtype=kind),
                             "top_category": pd.Series([None, "x", "y"], dtype=kind)})  # fmt: skip
    expected = pd.DataFrame({"customer_id": features["customer_id"].to_numpy(),
                             "preferred_category": features["top_category"].to_numpy()})  # fmt: skip
    got = customer_frame(features)
    pd.testing.assert_frame_equal(got, expected)
    assert [dtype.storage for dtype in got.dtypes] == [dtype.storage for dtype in expected.dtypes]
