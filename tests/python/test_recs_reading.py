"""python_udfs/recs/reading.py: the warehouse codes and orders the interactions exactly as pandas does."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from python_udfs.dbt_io import to_pandas
from python_udfs.recs.engine import fit, recommend
from python_udfs.recs.model import EVENT_ORDER, _is_sorted, _packed, _sort_key, in_order
from python_udfs.recs.reading import EVENT_CATEGORICAL, coded, read_coded
from python_udfs.recs.scoring import recommend_read

AS_OF = pd.Timestamp("2026-06-01")


def _hostile_events(n: int = 3000) -> pd.DataFrame:
    """Ids that sort differently as numbers and as strings, accents, repeats, nulls in every column, a kind the
    recommender does not know, whole duplicate rows."""
    rng = np.random.default_rng(11)
    customers = np.array(["c10", "c9", "C1", "é1", "e1", "10", "9", "z", "c 1", "ü"], dtype=object)
    products = np.array(["p10", "p9", "P1", "ß", "p1", "100", "20"], dtype=object)
    kinds = np.array(["view", "click", "cart", "purchase", "wishlist"], dtype=object)
    frame = pd.DataFrame(
        {
            "customer_id": customers[rng.integers(0, len(customers), n)],
            "product_id": products[rng.integers(0, len(products), n)],
            "interaction_type": kinds[rng.integers(0, len(kinds), n)],
            "occurred_at": AS_OF - pd.to_timedelta(rng.integers(0, 200 * 24, n), unit="h"),
            "order_id": np.array([f"o{k}" for k in rng.integers(0, 400, n)], dtype=object),
        }
    )
    for column, step in (("customer_id", 53), ("product_id", 61), ("interaction_type", 67), ("order_id", 3)):
        frame.loc[frame.index[::step], column] = None
    frame.loc[frame.index[::71], "occurred_at"] = pd.NaT
    return pd.concat([frame, frame.iloc[:50]], ignore_index=True)  # rows repeated whole


def _catalogue() -> pd.DataFrame:
    ids = ["p10", "p9", "P1", "ß", "p1", "100", "20", "only_in_catalogue"]
    return pd.DataFrame(
        {
            "product_id": ids,
            "product_name": [None if k == 2 else f"Name {k}" for k in range(len(ids))],
            "category": ["A", "B", None, "A", "B", "A", "B", "A"],
            "brand": "Acme",
            "price": 10.0,
            "is_active": True,
        }
    )


def _customers() -> pd.DataFrame:
    ids = ["c10", "c9", "C1", "é1", "e1", "10", "9", "z", "c 1", "ü", "no_events"]
    return pd.DataFrame({"customer_id": ids, "preferred_category": ["A", None] * 5 + ["B"]})


def _relation(con, frame: pd.DataFrame):
    con.register("events_frame", frame)
    return con.sql(
        "select customer_id::varchar as customer_id, product_id::varchar as product_id,"
        " interaction_type::varchar as interaction_type, occurred_at::timestamp as occurred_at,"
        " order_id::varchar as order_id from events_frame"
    )


def _as_pandas_codes_them(relation, products, customers):
    """What the recommender did before: read whole, coded by Codes.encode, put in order by in_order."""
    inputs = coded(to_pandas(relation, categorical=EVENT_CATEGORICAL), products, customers)
    return inputs.codes, *in_order(inputs.events, inputs.products, inputs.customers)


@pytest.mark.parametrize("with_customers", [True, False])
def test_the_warehouse_codes_and_orders_the_events_as_pandas_does(with_customers):
    con = duckdb.connect()
    relation = _relation(con, _hostile_events())
    customers = _customers() if with_customers else None
    codes, events, products, people = _as_pandas_codes_them(relation, _catalogue(), customers)

    read = read_coded(con, relation, _catalogue(), customers)
    assert read.events_in_order
    assert np.array_equal(read.codes.customers, codes.customers)
    assert np.array_equal(read.codes.products, codes.products)
    # in the order in_order puts them: it keeps them as they are
    assert _is_sorted(_packed([_sort_key(read.events[name]) for name in EVENT_ORDER]))
    pd.testing.assert_frame_equal(read.events, events)
    ordered, coded_products, coded_people = in_order(read.events, read.products, read.customers, True)
    pd.testing.assert_frame_equal(ordered, events)
    pd.testing.assert_frame_equal(coded_products, products)
    if with_customers:
        pd.testing.assert_frame_equal(coded_people, people)
    else:
        assert read.customers is None


def test_lists_from_the_warehouse_codes_are_the_lists_from_pandas():
    con = duckdb.connect()
    events = _hostile_events()
    relation = _relation(con, events)
    catalogue, customers = _catalogue(), _customers()
    model = fit(events.dropna(subset=["product_id"]), catalogue, AS_OF)  # the model is not what is compared
    rules = pd.DataFrame({"if_category": ["A"], "then_category": ["B"], "boost": [0.3]})
    expected = recommend(model, events, catalogue, customers, rules, AS_OF)
    got = recommend_read(model, read_coded(con, relation, catalogue, customers), rules, AS_OF)
    assert len(expected)
    assert set(got["customer_id"]) == set(customers["customer_id"])
    pd.testing.assert_frame_equal(got, expected)


def test_an_empty_ref_and_ids_that_are_not_strings_are_read_as_before():
    con = duckdb.connect()
    empty = _relation(con, _hostile_events()).limit(0)
    read = read_coded(con, empty, _catalogue(), _customers())
    codes, events, _, _ = _as_pandas_codes_them(empty, _catalogue(), _customers())
    assert read.events_in_order
    assert len(read.events) == 0
    assert np.array_equal(read.codes.customers, codes.customers)
    assert list(read.events.columns) == list(events.columns)
    # integer ids: not coded by the warehouse (its order of numbers is not the order of strings); read whole
    numbers = con.sql(
        "select (range % 7)::bigint as customer_id, (range % 5)::varchar as product_id, 'view' as interaction_type,"
        " timestamp '2026-05-01' + to_hours(range) as occurred_at, null::varchar as order_id from range(40)"
    )
    catalogue = _catalogue().assign(product_id=[str(k) for k in range(8)])
    read = read_coded(con, numbers, catalogue)
    assert not read.events_in_order
    assert read.codes.customers.tolist() == list(range(7))
