"""An hourly refresh rescores only the customers whose recommendation inputs changed (DuckDB).

ml_customer_recommendations is incremental on DuckDB (python_udfs/recs/rescoring.py): after the session's full
build as of the demo's end, an hour of new events lands and the refresh selector runs an hour later. The
customers with new interactions get new lists, the very lists a full rescoring of everyone gives them; every
other customer keeps the row the full build wrote, to the last digit; a customer who is gone loses their rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest
from conftest import E2E_END_DATE, assert_ok, copy_raw, run_dbt
from demo_data.hour import append_hour

T0 = datetime.fromisoformat(E2E_END_DATE)
VARS_T1 = {"as_of_date": (T0 + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")}
KEY = ["customer_id", "rank"]


def _lists(db) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from intermediate.ml_customer_recommendations order by all").df()


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
