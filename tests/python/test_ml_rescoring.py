"""ml_customer_scores on DuckDB scores again only the customers whose features changed
(python_udfs/ml/rescoring.py), and the table it makes is the one scoring everyone makes."""

import duckdb
import pandas as pd
import pytest
from test_ml_training import HORIZON, trained  # noqa: F401 - the module's fixture

from python_udfs.dbt_io import customers_only
from python_udfs.ml import rescoring
from python_udfs.ml.training import score_all, score_batches


def _run(con, features: pd.DataFrame, registry: pd.DataFrame, folder) -> tuple[pd.DataFrame, int]:
    """What the model does on DuckDB, with the table main.scores as `this`: (new table, customers scored)."""
    con.register("features_frame", features)
    con.execute("create or replace table main.features as select * from features_frame")
    relation = con.table("main.features")
    digests = rescoring.feature_digests(relation, rescoring.shared_digest(registry, horizon_days=HORIZON))
    planned = rescoring.plan(con, "main.scores", digests)
    kept = None
    if planned is not None:
        rescore, kept = planned
        relation = customers_only(con, relation, rescore)
    batches = [relation.df()]
    out = score_batches(batches, registry, HORIZON, folder, kept=kept)
    out[rescoring.DIGEST_COLUMN] = out["customer_id"].map(digests.set_index("customer_id")[rescoring.DIGEST_COLUMN])
    con.register("scores_frame", out)
    con.execute("create or replace table main.scores as select * from scores_frame")
    return con.sql("select * from main.scores").df(), len(batches[0])


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customer_id").reset_index(drop=True)


def test_an_hourly_run_scores_only_changed_customers_and_equals_scoring_everyone(trained):  # noqa: F811
    _, current, folder, registry = trained
    con = duckdb.connect()
    first, scored = _run(con, current, registry, folder)
    assert scored == len(current)  # no table yet: everyone
    again, scored = _run(con, current, registry, folder)
    assert scored == 0  # nothing changed
    pd.testing.assert_frame_equal(_sorted(again), _sorted(first))

    # an hour later: 40 customers' features moved, 7 customers are gone, 3 are new
    later = current.copy()
    moved = later["customer_id"].isin(later["customer_id"].iloc[100:140])
    later.loc[moved, "recency_days"] = 1
    later.loc[moved, "orders_90d"] = later.loc[moved, "orders_90d"] + 2
    new = later.iloc[:3].assign(customer_id=["new-1", "new-2", "new-3"])
    later = pd.concat([later.iloc[7:], new], ignore_index=True)
    hourly, scored = _run(con, later, registry, folder)
    assert scored == 43
    everyone = score_all(later, registry, HORIZON, folder)
    got = _sorted(hourly).drop(columns=rescoring.DIGEST_COLUMN)
    want = _sorted(everyone)
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(later)
    for column in want.columns:  # the table's types, not pandas' own (dates, floats, text)
        assert got[column].astype(str).tolist() == want[column].astype(str).tolist(), column
    assert not hourly["customer_id"].isin(current["customer_id"].iloc[:7]).any()
    # the moved customers' deciles are ranked among everyone's: some moved
    assert (got.loc[got["customer_id"].isin(later.loc[moved, "customer_id"]), "purchase_propensity"]
            != _sorted(first).set_index("customer_id").loc[later.loc[moved, "customer_id"].sort_values(),
                                                           "purchase_propensity"].to_numpy()).any()  # fmt: skip


def test_a_new_registry_or_another_day_scores_everyone(trained):  # noqa: F811
    _, current, folder, registry = trained
    con = duckdb.connect()
    _run(con, current, registry, folder)
    retrained = registry.assign(trained_at="2026-02-01 06:00:00")
    assert _run(con, current, retrained, folder)[1] == len(current)
    tomorrow = current.assign(cutoff_at=pd.Timestamp(current["cutoff_at"].iloc[0]) + pd.Timedelta(days=1))
    assert _run(con, tomorrow, retrained, folder)[1] == len(current)
    # a later hour of the same day changes nothing by itself
    later = tomorrow.assign(cutoff_at=pd.Timestamp(tomorrow["cutoff_at"].iloc[0]) + pd.Timedelta(hours=3))
    assert _run(con, later, retrained, folder)[1] == 0


def test_a_table_made_before_digests_is_scored_again():
    con = duckdb.connect()
    digests = pd.DataFrame({"customer_id": ["c1"], rescoring.DIGEST_COLUMN: ["d1"]})
    assert rescoring.plan(con, "main.scores", digests) is None
    con.execute("create table main.scores as select 'c1' as customer_id, 0.5 as purchase_propensity")
    assert rescoring.plan(con, "main.scores", digests) is None


@pytest.mark.parametrize("stored", [["d1"], ["d1", "d1"], ["other"]])
def test_the_plan_keeps_a_row_only_when_its_one_digest_matches(stored):
    con = duckdb.connect()
    previous = pd.DataFrame({"customer_id": ["c1"] * len(stored), rescoring.DIGEST_COLUMN: stored})
    con.register("previous_frame", previous)
    con.execute("create table main.scores as select * from previous_frame")
    current = pd.DataFrame({"customer_id": ["c1", "c2"], rescoring.DIGEST_COLUMN: ["d1", "d2"]})
    rescore, kept = rescoring.plan(con, "main.scores", current)
    assert (len(kept), sorted(rescore)) == ((1, ["c2"]) if stored == ["d1"] else (0, ["c1", "c2"]))
