"""Unit tests for python_udfs/recs/similar.py: "more like this product" from a fitted recommender."""

import numpy as np
import pandas as pd
import pytest

from python_udfs.recs.engine import Params, fit
from python_udfs.recs.similar import similar_products

AS_OF = pd.Timestamp("2026-06-01")
DAY = pd.Timedelta(days=1)


def catalogue() -> pd.DataFrame:
    """Tents and stoves (bought together), sleeping bags, an inactive tent, and a lone kettle."""
    rows = [
        ("tent1", "Trail Tent", "Tents", "Peak", 200.0, True),
        ("tent2", "Trail Tent Lite", "Tents", "Peak", 180.0, True),
        ("tent_old", "Trail Tent Classic", "Tents", "Peak", 150.0, False),
        ("stove1", "Gas Stove", "Stoves", "Flame", 40.0, True),
        ("stove2", "Twin Burner", "Stoves", "Flame", 60.0, True),
        ("bag1", "Down Bag", "Sleeping Bags", "Warm", 90.0, True),
        ("bag2", "Synthetic Bag", "Sleeping Bags", "Warm", 70.0, True),
        ("bag3", "Summer Bag", "Sleeping Bags", "Warm", 50.0, True),
        ("kettle", "Copper Kettle", "Kitchen", "Other", 30.0, True),
    ]
    return pd.DataFrame(rows, columns=["product_id", "product_name", "category", "brand", "price", "is_active"])


def events() -> pd.DataFrame:
    """tent1 buyers buy stove1 in the same order; bag buyers buy bags; tent_old was popular before retiring."""
    rows = []
    for c in range(40):
        t = AS_OF - (100 - c) * DAY
        if c % 2 == 0:
            rows += [(f"c{c}", "tent1", "purchase", t, f"o{c}"), (f"c{c}", "stove1", "purchase", t, f"o{c}")]
            rows.append((f"c{c}", "tent_old", "view", t - DAY, None))
        else:
            rows += [(f"c{c}", f"bag{1 + c % 3}", "purchase", t, f"o{c}"), (f"c{c}", "stove2", "view", t, None)]
    return pd.DataFrame(rows, columns=["customer_id", "product_id", "interaction_type", "occurred_at", "order_id"])


@pytest.fixture(scope="module")
def model():
    return fit(events(), catalogue(), AS_OF, Params())


def test_every_active_product_gets_k_other_active_products(model):
    out = similar_products(model, catalogue(), top_n=5)
    active = set(catalogue().query("is_active")["product_id"])
    assert set(out["product_id"]) == active
    assert out.groupby("product_id").size().eq(5).all()
    assert out.groupby("product_id")["rank"].apply(list).map(lambda r: r == [1, 2, 3, 4, 5]).all()
    assert (out["product_id"] != out["similar_product_id"]).all()
    assert set(out["similar_product_id"]) <= active  # tent_old never appears
    assert not out.duplicated(["product_id", "similar_product_id"]).any()


def test_lists_are_filled_to_k_when_the_similar_products_run_out(model):
    # 8 active products: each list can hold at most the 7 others, and gets all of them
    out = similar_products(model, catalogue(), top_n=50)
    assert out.groupby("product_id").size().eq(7).all()
    kettle = out[out["product_id"] == "kettle"]
    # nothing bought with it, nothing alike: bestsellers, best seller first
    assert set(kettle["source"]) == {"bestseller"}
    assert kettle["reason"].eq("Popular right now").all()


def test_the_category_fills_before_the_shop(model):
    cat = catalogue()
    cat["overall_rank"] = [1, 2, None, 3, 4, 5, 6, 7, 8]
    out = similar_products(model, cat.assign(product_name=cat["product_id"]), top_n=7)
    bag3 = out[(out["product_id"] == "bag3") & (out["source"] == "bestseller")]
    popular_in = bag3[bag3["reason"].str.startswith("Popular in")]
    assert set(popular_in["similar_product_id"]) <= {"bag1", "bag2"}
    # category fill ranks ahead of the overall fill
    assert bag3["reason"].tolist() == sorted(bag3["reason"], key=lambda r: not r.startswith("Popular in"))


def test_collaborative_beats_content_when_products_are_bought_together(model):
    out = similar_products(model, catalogue(), top_n=3)
    tent1 = out[out["product_id"] == "tent1"].set_index("similar_product_id")
    # tent2 has the same brand, category and name tokens; stove1 is in every tent1 order
    assert tent1.index[0] == "stove1"
    assert tent1.loc["stove1", "source"] == "collaborative"
    assert tent1.loc["stove1", "reason"] == "Often bought with Trail Tent"
    assert tent1.loc["tent2", "source"] == "content"
    assert tent1.loc["tent2", "reason"] == "Similar to Trail Tent"
    assert tent1.loc["stove1", "score"] > tent1.loc["tent2", "score"]


def test_the_same_inputs_in_any_order_give_the_same_lists(model):
    first = similar_products(model, catalogue(), top_n=4)
    shuffled = catalogue().sample(frac=1, random_state=3)
    again = similar_products(fit(events().sample(frac=1, random_state=5), shuffled, AS_OF, Params()), shuffled, 4)
    pd.testing.assert_frame_equal(first, again)


def test_without_interactions_lists_come_from_content_and_bestsellers():
    empty = events().iloc[:0]
    model = fit(empty, catalogue(), AS_OF, Params())
    out = similar_products(model, catalogue(), top_n=5)
    assert out.groupby("product_id").size().eq(5).all()
    assert "collaborative" not in set(out["source"])
    assert set(out["source"]) <= {"content", "bestseller"}
    # the kettle shares nothing with any other product: bestsellers only
    assert set(out.loc[out["product_id"] == "kettle", "source"]) == {"bestseller"}
    assert np.isfinite(out["score"]).all()
