"""Unit tests for python_udfs/recs/rescoring.py: which customers a run of ml_customer_recommendations rescores,
and that rescoring some customers gives them the lists rescoring everyone gives."""

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_recs import AS_OF, _customers_of, grocery

from python_udfs.dbt_io import customers_only
from python_udfs.recs import rescoring
from python_udfs.recs.candidates import _trend_weights
from python_udfs.recs.engine import fit, recommend
from python_udfs.recs.model import clean_events, no_rules
from python_udfs.rescoring_age import SCORED_AS_OF_COLUMN

DAY = pd.Timestamp("2026-05-04 09:00")


def _digests(ids: list[str], digests: list[str | None], made=DAY) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ids, rescoring.DIGEST_COLUMN: digests, SCORED_AS_OF_COLUMN: made})


def test_the_plan_rescores_new_and_changed_customers_and_removes_those_gone():
    con = duckdb.connect()
    # the table's list rows: several per customer, one digest each (two for "twice", none for "no_digest")
    previous = _digests(
        ["same", "same", "changed", "gone", "gone", "twice", "twice", "no_digest", "partly", "partly"],
        ["a", "a", "b", "c", "c", "d", "e", None, "p", None],
    )
    current = _digests(["same", "changed", "new", "twice", "no_digest", "partly"], ["a", "B", "n", "d", "x", "p"])
    con.register("previous", previous)
    con.execute("create table lists as select * from previous")
    rescore, removed = rescoring.plan(con, "lists", current, 1)
    assert sorted(rescore) == ["changed", "new", "no_digest", "partly", "twice"]
    assert list(removed) == ["gone"]
    # the next day the same; two days later, or on a day before the lists', every list is made again
    for days, again in ((1, []), (2, ["same"]), (-1, ["same"])):
        later = current.assign(**{SCORED_AS_OF_COLUMN: DAY.normalize() + pd.Timedelta(days=days, hours=1)})
        assert sorted(rescoring.plan(con, "lists", later, 1)[0]) == sorted(["changed", "new", "no_digest",
                                                                            "partly", "twice", *again])  # fmt: skip
    tomorrow = current.assign(**{SCORED_AS_OF_COLUMN: DAY + pd.Timedelta(days=1)})
    assert "same" in rescoring.plan(con, "lists", tomorrow, 0)[0]  # rescoring_max_age_days 0: every new day
    con.execute("create table empty_lists as select * from previous limit 0")
    rescore, removed = rescoring.plan(con, "empty_lists", current, 1)  # a table without rows: everyone
    assert sorted(rescore) == sorted(current["customer_id"])
    assert len(removed) == 0
    # a table made before digests: everyone is rescored, the customers gone still go
    con.execute("create table old_lists as select customer_id from previous")
    rescore, removed = rescoring.plan(con, "old_lists", current, 1)
    assert sorted(rescore) == sorted(current["customer_id"])
    assert list(removed) == ["gone"]
    # digests, but made before the lists recorded their day: everyone again
    con.execute(f"create table undated_lists as select customer_id, {rescoring.DIGEST_COLUMN} from previous")
    assert sorted(rescoring.plan(con, "undated_lists", current, 1)[0]) == sorted(current["customer_id"])


def test_a_digest_changes_with_the_customer_s_inputs_and_with_what_everyone_shares():
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "preferred_category": ["x", None, "y"]})
    times = pd.to_datetime(["2026-05-01 10:00", "2026-05-02 00:00"])
    counts = pd.DataFrame({"customer_id": ["a", "b"], "interactions": [3, 1], "last_interaction_at": times})
    con = duckdb.connect()

    def digests(customers, counts, shared):
        found = rescoring.inputs_digests(con, customers, con.from_df(counts), shared, AS_OF)
        assert (found[SCORED_AS_OF_COLUMN] == AS_OF).all()
        return found.set_index("customer_id")[rescoring.DIGEST_COLUMN]

    before = digests(customers, counts, "shared")
    assert before.is_unique
    assert len(before) == 3
    # copied: DuckDB 2.0's from_df fails (std::bad_cast) on a reversed view of datetime and integer columns
    again = digests(customers.iloc[::-1], counts.iloc[::-1].copy(), "shared")
    assert again.reindex(before.index).equals(before)  # stable, whatever the order
    # a DuckDB relation of the customers (what the model passes) gives the same digests as the frame
    assert digests(con.from_df(customers), counts, "shared").reindex(before.index).equals(before)

    def changed(customers=customers, counts=counts, shared="shared") -> list[str]:
        now = digests(customers, counts, shared)
        return sorted(now.index[now.reindex(before.index).ne(before).to_numpy()])

    assert changed() == []
    assert changed(counts=counts.assign(interactions=[4, 1])) == ["a"]
    later = pd.to_datetime(["2026-05-01 10:00", "2026-05-03 00:00"])
    assert changed(counts=counts.assign(last_interaction_at=later)) == ["b"]
    assert changed(customers=customers.assign(preferred_category=["x", "z", "y"])) == ["b"]
    assert changed(shared="another registry") == ["a", "b", "c"]
    products = pd.DataFrame({"product_id": ["p2", "p1"], "is_active": [True, True]})
    registry = pd.DataFrame({"model_version": ["v1"], "is_promoted": [True]})
    shared = rescoring.shared_digest(registry, products, no_rules())
    assert shared == rescoring.shared_digest(registry, products.iloc[::-1], no_rules())
    # a retrain adds a row, even one that failed its gate (the version that scores stays v1)
    retrained = pd.concat([registry, pd.DataFrame({"model_version": ["v2"], "is_promoted": [False]})])
    after = rescoring.shared_digest(retrained, products, no_rules())
    assert after != shared
    assert after == rescoring.shared_digest(retrained.iloc[::-1], products, no_rules())
    assert shared != rescoring.shared_digest(registry, products.assign(is_active=[True, False]), no_rules())
    assert shared == rescoring.shared_digest(registry, products.assign(units_sold=[3, 4]), no_rules())  # not read


@pytest.fixture(scope="module")
def shop():
    events, catalogue = grocery()
    events["interaction_type"] = np.where(np.arange(len(events)) % 5 == 0, "view", "purchase")
    events.loc[events.index[::97], "occurred_at"] = AS_OF + pd.Timedelta(hours=2)  # after as_of: left out
    return events, catalogue, fit(events, catalogue, AS_OF)


def test_the_trend_summed_in_sql_is_the_one_summed_from_the_events(shop):
    events, catalogue, model = shop
    con = duckdb.connect()
    relation = con.from_df(events)
    got = rescoring.trend_weights(con, relation, catalogue["product_id"], AS_OF, model.params)
    clean = clean_events(events, AS_OF)
    want = _trend_weights(clean[clean["product_id"].isin(catalogue["product_id"])], AS_OF, model.params)
    assert len(want) > 50
    pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False, rtol=1e-12)
    assert len(rescoring.interaction_counts(relation).df()) == events["customer_id"].nunique()


def test_rescoring_some_customers_from_their_events_gives_them_everyone_s_lists(shop):
    """What an hourly run does: only the chosen customers' events are read, the trend is everyone's."""
    events, catalogue, model = shop
    everyone = recommend(model, events, catalogue, _customers_of(events), no_rules(), AS_OF)
    con = duckdb.connect()
    relation = con.from_df(events)
    chosen = np.array(["h3", "h17", "h150", "h299"])
    theirs = customers_only(con, relation, chosen).df()
    assert set(theirs["customer_id"]) == set(chosen)
    assert len(theirs) == events["customer_id"].isin(chosen).sum()
    trend = rescoring.trend_weights(con, relation, catalogue["product_id"], AS_OF, model.params)
    customers = _customers_of(events)
    some = recommend(model, theirs, catalogue, customers[customers["customer_id"].isin(chosen)], no_rules(), AS_OF,
                     trend=trend)  # fmt: skip
    want = everyone[everyone["customer_id"].isin(chosen)]
    key = ["customer_id", "rank"]
    assert len(some) == 4 * 10
    pd.testing.assert_frame_equal(
        some.sort_values(key).reset_index(drop=True), want.sort_values(key).reset_index(drop=True)
    )
    # without everyone's trend, the fill of a list comes from these few customers' interactions only
    alone = recommend(model, theirs, catalogue, customers[customers["customer_id"].isin(chosen)], no_rules(), AS_OF)
    assert not alone.sort_values(key).reset_index(drop=True).equals(some.sort_values(key).reset_index(drop=True))


def test_removal_rows_name_the_customers_without_a_list():
    lists = pd.DataFrame({"customer_id": ["a", "a", "b"], "product_id": ["p", "q", "p"]})
    gone = rescoring.removal_rows(lists, np.array(["a", "b", "c", "d"]))
    assert list(gone.columns) == ["customer_id"]
    assert sorted(gone["customer_id"]) == ["c", "d"]


def test_each_list_row_gets_its_customer_s_digest_in_any_order():
    digests = pd.DataFrame({"customer_id": ["a", "b", "c"], rescoring.DIGEST_COLUMN: ["da", "db", "dc"]})
    # lists come whole (runs of one customer), but a customer may also come back later, or not be known
    rows = ["a", "a", "c", "c", "c", "a", "x", "b"]
    found = rescoring.digest_per_row(pd.Series(rows), digests)
    assert found.dtype == "string"  # what the model's column is
    assert found.tolist() == ["da", "da", "dc", "dc", "dc", "da", pd.NA, "db"]
    mapped = pd.Series(rows).map(digests.set_index("customer_id")[rescoring.DIGEST_COLUMN]).astype("string")
    assert found.tolist() == mapped.tolist()
    assert len(rescoring.digest_per_row(pd.Series([], dtype=object), digests)) == 0
    assert rescoring.digest_per_row(pd.Series(["a"]), digests.iloc[:0]).tolist() == [pd.NA]
    # an hourly run's few customers among many digests (looked up among theirs only)
    many = pd.DataFrame(
        {"customer_id": [f"c{k}" for k in range(40)], rescoring.DIGEST_COLUMN: [f"d{k}" for k in range(40)]}
    )
    found = rescoring.digest_per_row(pd.Series(["c3", "c3", "zz", "c39"]), many)
    assert found.tolist() == ["d3", "d3", pd.NA, "d39"]
