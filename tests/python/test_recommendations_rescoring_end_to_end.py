"""An hourly refresh rescores only the customers whose recommendation inputs changed (DuckDB).

ml_customer_recommendations is incremental on DuckDB (python_udfs/recs/rescoring.py): after the session's full
build as of the demo's end, an hour of new events lands and the refresh selector runs an hour later. The
customers with new interactions get new lists, the very lists a full rescoring of everyone gives them; every
other customer keeps the row the full build wrote, to the last digit; a customer who is gone loses their rows.
The refresh of the next day keeps the lists and scores of customers who did nothing (var rescoring_max_age_days,
python_udfs/rescoring_age.py): the day alone does not make it rescore everyone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import E2E_END_DATE, assert_ok, copy_raw, read_raw_table, run_dbt, write_raw_table
from demo_data.hour import append_hour

T0 = datetime.fromisoformat(E2E_END_DATE)
VARS_T1 = {"as_of_date": (T0 + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")}
KEY = ["customer_id", "rank"]


def _lists(db) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from intermediate.ml_customer_recommendations order by all").df()


def _scores(db) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from intermediate.ml_customer_scores order by customer_id").df()


def _mart(db) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from main.fct_customer_recommendations order by all").df()


def _mart_run(work: Path) -> tuple[str, int, int]:
    """What the last run of fct_customer_recommendations replaced (macros/recommendations_mart_refresh.sql):
    'all' or 'changed', with the customers replaced and the customers there are (0, 0 for 'all')."""
    sql = next((work / "target" / "compiled").rglob("fct_customer_recommendations.sql")).read_text()
    found = re.search(r"/\* recommendations_mart: (\w+) \((?:(\d+) customers changed of (\d+))?", sql)
    return found.group(1), int(found.group(2) or 0), int(found.group(3) or 0)


def _mart_of_a_full_build(work: Path, raw: Path, warehouse_copy, name: str, dbt_vars: dict) -> pd.DataFrame:
    """fct_customer_recommendations as a full build makes it of the same tables, in a copy of the warehouse."""
    copy = warehouse_copy(name)
    (copy / "warehouse.duckdb").write_bytes((work / "warehouse.duckdb").read_bytes())
    assert_ok(run_dbt(["run", "--select", "fct_customer_recommendations", "--full-refresh"], raw, copy, dbt_vars))
    assert _mart_run(copy)[0] == "all"
    return _mart(copy / "warehouse.duckdb")


def _rescored(before: pd.DataFrame, after: pd.DataFrame) -> set[str]:
    """The customers whose lists the run made: a digest that is new or another than before."""
    was, now = (lists.groupby("customer_id")["inputs_digest"].first() for lists in (before, after))
    return set(now.index[now.ne(was.reindex(now.index)).to_numpy()])


@pytest.fixture(scope="module")
def refreshed(built, warehouse_copy, tmp_path_factory):
    work = warehouse_copy("rescoring")
    raw = copy_raw(built.raw_dir, tmp_path_factory.mktemp("rescoring_raw") / "raw")
    before = _lists(work / "warehouse.duckdb")
    append_hour(raw, T0, seed=5, rate=5)
    assert_ok(run_dbt(["run", "--selector", "refresh"], raw, work, VARS_T1))
    after = _lists(work / "warehouse.duckdb")
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        active = {
            row[0]
            for row in con.execute(
                "select distinct customer_id from intermediate.int_recommendation_events where occurred_at >= ?", [T0]
            ).fetchall()
        }
    # everyone rescored, for comparison: the same warehouse, the model alone with --full-refresh
    everyone = warehouse_copy("rescoring_everyone")
    (everyone / "warehouse.duckdb").write_bytes((work / "warehouse.duckdb").read_bytes())
    assert_ok(run_dbt(["run", "--select", "ml_customer_recommendations", "--full-refresh"], raw, everyone, VARS_T1))
    return {"before": before, "after": after, "active": active, "full": _lists(everyone / "warehouse.duckdb"),
            "work": work, "raw": raw}  # fmt: skip


def test_the_customers_with_new_interactions_and_only_they_get_new_lists(refreshed):
    before, after, active = refreshed["before"], refreshed["after"], refreshed["active"]
    rescored = _rescored(before, after)
    assert active
    assert active <= rescored
    assert len(rescored) < after["customer_id"].nunique() / 2  # an hour's activity, not everyone
    kept = after[~after["customer_id"].isin(rescored)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before[before["customer_id"].isin(kept["customer_id"])].reset_index(drop=True))


def test_a_rescored_list_is_the_one_rescoring_everyone_gives(refreshed):
    after, full = refreshed["after"], refreshed["full"]
    rescored = _rescored(refreshed["before"], after)
    mine = after[after["customer_id"].isin(rescored)].sort_values(KEY).reset_index(drop=True)
    theirs = full[full["customer_id"].isin(rescored)].sort_values(KEY).reset_index(drop=True)
    assert len(mine) == 10 * len(rescored)
    pd.testing.assert_frame_equal(mine.drop(columns="score"), theirs.drop(columns="score"))
    pd.testing.assert_series_equal(mine["score"], theirs["score"], rtol=1e-9)
    # the lists kept are the full build's: a rescoring of everyone an hour later would have moved some
    kept = full[~full["customer_id"].isin(rescored)].sort_values(KEY).reset_index(drop=True)
    old = after[~after["customer_id"].isin(rescored)].sort_values(KEY).reset_index(drop=True)
    assert not kept["score"].equals(old["score"])


def test_the_next_day_s_refresh_keeps_what_did_not_change_and_age_zero_rescores_everyone(refreshed, warehouse_copy):
    nextday = warehouse_copy("rescoring_next_day")
    (nextday / "warehouse.duckdb").write_bytes((refreshed["work"] / "warehouse.duckdb").read_bytes())
    db = nextday / "warehouse.duckdb"
    scores = _scores(db)
    tomorrow = T0 + timedelta(days=1)
    when = {"as_of_date": tomorrow.strftime("%Y-%m-%d %H:%M:%S")}
    assert_ok(run_dbt(["run", "--selector", "refresh"], refreshed["raw"], nextday, when))
    # nobody interacted after the last hour: a list is made again only where its inputs moved (a preferred
    # category whose trailing window let a purchase go), not for the day; every other list is kept, as of then
    lists, after = _lists(db), refreshed["after"]
    moved = _rescored(after, lists)
    assert len(moved) < lists["customer_id"].nunique() / 10
    kept = lists[~lists["customer_id"].isin(moved)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, after[after["customer_id"].isin(kept["customer_id"])].reset_index(drop=True))
    assert (kept["scored_as_of"] < pd.Timestamp(tomorrow)).all()
    assert (lists.loc[lists["customer_id"].isin(moved), "scored_as_of"] == pd.Timestamp(tomorrow)).all()
    # scores: those whose trailing windows let an event go are scored as of today, the others kept as they were
    later = _scores(db)
    fresh = later["scored_as_of"] == pd.Timestamp(tomorrow)
    assert (~fresh).sum() > 0
    assert later.loc[~fresh, "scored_as_of"].lt(pd.Timestamp(tomorrow)).all()
    kept = later.loc[~fresh].drop(columns="propensity_decile").reset_index(drop=True)
    was = scores[scores["customer_id"].isin(kept["customer_id"])].drop(columns="propensity_decile")
    pd.testing.assert_frame_equal(kept, was.reset_index(drop=True))
    # rescoring_max_age_days 0: a new day scores and lists everyone again
    again = {**when, "rescoring_max_age_days": 0}
    models = ["ml_customer_scores", "ml_customer_recommendations"]
    assert_ok(run_dbt(["run", "--select", *models], refreshed["raw"], nextday, again))
    assert (_scores(db)["scored_as_of"] == pd.Timestamp(tomorrow)).all()
    assert (_lists(db)["scored_as_of"] == pd.Timestamp(tomorrow)).all()


def test_a_customer_who_is_gone_loses_their_list(refreshed):
    work, raw = refreshed["work"], refreshed["raw"]
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute(
            "insert into intermediate.ml_customer_recommendations (customer_id, rank, product_id, inputs_digest) "
            "values ('gone-customer', 1, 'p', 'x')"
        )
    assert_ok(run_dbt(["run", "--select", "ml_customer_recommendations"], raw, work, VARS_T1))
    lists = _lists(work / "warehouse.duckdb")
    assert "gone-customer" not in set(lists["customer_id"])
    pd.testing.assert_frame_equal(lists, refreshed["after"])


def test_the_mart_replaces_only_the_changed_customers_rows_and_equals_a_full_build(refreshed, warehouse_copy):
    """fct_customer_recommendations after the hourly refresh, and after a product on many lists changes."""
    work = warehouse_copy("mart_refresh")
    (work / "warehouse.duckdb").write_bytes((refreshed["work"] / "warehouse.duckdb").read_bytes())
    raw = copy_raw(refreshed["raw"], work / "raw")
    # the refresh wrote the rows of the customers it rescored, not every list
    mode, changed, customers = _mart_run(refreshed["work"])
    assert mode == "changed"
    assert 0 < changed < customers / 2
    mart = _mart(work / "warehouse.duckdb")
    pd.testing.assert_frame_equal(mart, _mart_of_a_full_build(work, raw, warehouse_copy, "mart_full", VARS_T1))
    # a product on many lists gets a new image: the lists stay (the recommender does not read images), the
    # mart's rows of the customers who have it on their list change, and only theirs
    product = mart["product_id"].value_counts().index[0]
    products, path = read_raw_table(raw, "products")
    assert (products["product_id"] == product).sum() == 1
    products.loc[products["product_id"] == product, "image_url"] = "https://cdn.example.com/img/new.jpg"
    write_raw_table(products, path)
    assert_ok(run_dbt(["run", "--selector", "refresh"], raw, work, VARS_T1))
    mode, changed, customers = _mart_run(work)
    assert mode == "changed"
    assert mart.loc[mart["product_id"] == product, "customer_id"].nunique() <= changed < customers
    renamed = _mart(work / "warehouse.duckdb")
    assert set(renamed.loc[renamed["product_id"] == product, "image_url"]) == {"https://cdn.example.com/img/new.jpg"}
    pd.testing.assert_frame_equal(renamed, _mart_of_a_full_build(work, raw, warehouse_copy, "mart_full2", VARS_T1))
