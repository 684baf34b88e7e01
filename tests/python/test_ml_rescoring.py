"""ml_customer_scores on DuckDB scores again only the customers whose features changed
(python_udfs/ml/rescoring.py), and the table it makes is the one scoring everyone makes."""

import duckdb
import pandas as pd
import pytest
from test_ml_training import HORIZON, trained  # noqa: F401 - the module's fixture

from python_udfs.dbt_io import customers_only
from python_udfs.ml import rescoring
from python_udfs.ml.training import score_all, score_batches
from python_udfs.rescoring_age import SCORED_AS_OF_COLUMN


def _run(con, features: pd.DataFrame, registry: pd.DataFrame, folder, max_age_days=1) -> tuple[pd.DataFrame, int]:
    """What the model does on DuckDB, with the table main.scores as `this`: (new table, customers scored)."""
    con.register("features_frame", features)
    con.execute("create or replace table main.features as select * from features_frame")
    relation = con.table("main.features")
    digests = rescoring.feature_digests(relation, rescoring.shared_digest(registry, horizon_days=HORIZON))
    planned = rescoring.plan(con, "main.scores", digests, max_age_days)
    kept = None
    if planned is not None:
        rescore, kept = planned
        relation = customers_only(con, relation, rescore)
    batches = [relation.df()]
    out = rescoring.stamp(score_batches(batches, registry, HORIZON, folder, kept=kept), digests, kept)
    # every row carries its customer's current digest, kept or scored (stamp copies the kept rows' own)
    want = out["customer_id"].map(digests.set_index("customer_id")[rescoring.DIGEST_COLUMN])
    assert out[rescoring.DIGEST_COLUMN].tolist() == want.tolist()
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
    got = _sorted(hourly).drop(columns=[rescoring.DIGEST_COLUMN, SCORED_AS_OF_COLUMN])
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


def test_a_new_registry_scores_everyone_and_the_calendar_alone_waits_for_the_age_limit(trained):  # noqa: F811
    _, current, folder, registry = trained
    con = duckdb.connect()
    _run(con, current, registry, folder)
    retrained = registry.assign(trained_at="2026-02-01 06:00:00")
    assert _run(con, current, retrained, folder)[1] == len(current)
    cutoff = pd.Timestamp(current["cutoff_at"].iloc[0])

    def days_later(days, hours=0):  # what the features are that much later when nobody did anything
        return current.assign(
            cutoff_at=cutoff + pd.Timedelta(days=days, hours=hours),
            recency_days=current["recency_days"] + days,
            tenure_days=current["tenure_days"] + days,
        )

    # the next day: recency and tenure moved for everyone, nothing else; yesterday's rows are kept
    table, scored = _run(con, days_later(1), retrained, folder)
    assert scored == 0
    assert (pd.to_datetime(table[SCORED_AS_OF_COLUMN]) == cutoff).all()
    # a customer with a new order that day is scored as of the day's cut-off; the others keep theirs
    busy = days_later(1, hours=3)
    busy.loc[busy.index[:5], "order_count"] = busy.loc[busy.index[:5], "order_count"] + 1
    table, scored = _run(con, busy, retrained, folder)
    assert scored == 5
    when = table.set_index("customer_id")[SCORED_AS_OF_COLUMN].map(pd.Timestamp)
    assert (when.loc[busy["customer_id"].iloc[:5]] == cutoff + pd.Timedelta(days=1, hours=3)).all()
    assert (when.loc[busy["customer_id"].iloc[5:]] == cutoff).all()
    # two days after their scoring, the rest are scored again (rescoring_max_age_days 1)
    later = days_later(2).assign(order_count=busy["order_count"].to_numpy())
    table, scored = _run(con, later, retrained, folder)
    assert scored == len(current) - 5
    # with 0 every new day scores everyone, as before the age limit
    assert _run(con, later.assign(cutoff_at=cutoff + pd.Timedelta(days=3)), retrained, folder, max_age_days=0)[1] == (
        len(current)
    )
    # a cut-off before the rows' own (a rebuild of an earlier day) scores everyone too
    assert _run(con, days_later(1), retrained, folder)[1] == len(current)


def test_a_table_made_before_digests_is_scored_again():
    con = duckdb.connect()
    digests = pd.DataFrame({"customer_id": ["c1"], rescoring.DIGEST_COLUMN: ["d1"]})
    assert rescoring.plan(con, "main.scores", digests, 1) is None
    con.execute("create table main.scores as select 'c1' as customer_id, 0.5 as purchase_propensity")
    assert rescoring.plan(con, "main.scores", digests, 1) is None
    # digests but no scored_as_of: a table made before the age limit
    con.execute("create or replace table main.scores as select 'c1' as customer_id, 'd1' as features_digest")
    assert rescoring.plan(con, "main.scores", digests, 1) is None


@pytest.mark.parametrize("stored", [["d1"], ["d1", "d1"], ["other"]])
def test_the_plan_keeps_a_row_only_when_its_one_digest_matches(stored):
    con = duckdb.connect()
    day = pd.Timestamp("2026-03-01 10:00")
    previous = pd.DataFrame(
        {"customer_id": ["c1"] * len(stored), rescoring.DIGEST_COLUMN: stored, SCORED_AS_OF_COLUMN: day}
    )
    con.register("previous_frame", previous)
    con.execute("create table main.scores as select * from previous_frame")
    current = pd.DataFrame(
        {"customer_id": ["c1", "c2"], rescoring.DIGEST_COLUMN: ["d1", "d2"], SCORED_AS_OF_COLUMN: day}
    )
    rescore, kept = rescoring.plan(con, "main.scores", current, 1)
    assert (len(kept), sorted(rescore)) == ((1, ["c2"]) if stored == ["d1"] else (0, ["c1", "c2"]))


@pytest.mark.parametrize("order", [["a", "b", "c"], ["b", "a", "c"]])
def test_stamp_gives_kept_rows_their_own_cut_off_in_any_order(order):
    """Kept rows last, as score_batches puts them, are copied; any other order is looked up: the same table."""
    day = pd.Timestamp("2026-03-02 10:00")
    digests = pd.DataFrame({"customer_id": ["a", "b", "c"], rescoring.DIGEST_COLUMN: ["da", "db", "dc"]})
    digests[SCORED_AS_OF_COLUMN] = day
    kept = pd.DataFrame({"customer_id": ["b", "c"], rescoring.DIGEST_COLUMN: ["db", "dc"]})
    kept[SCORED_AS_OF_COLUMN] = pd.to_datetime(["2026-03-01 09:00", "2026-02-28 08:00"])
    got = rescoring.stamp(pd.DataFrame({"customer_id": order}), digests, kept).set_index("customer_id")
    assert got[rescoring.DIGEST_COLUMN].to_dict() == {"a": "da", "b": "db", "c": "dc"}
    assert got[SCORED_AS_OF_COLUMN].to_dict() == {
        "a": day,
        "b": pd.Timestamp("2026-03-01 09:00"),
        "c": pd.Timestamp("2026-02-28 08:00"),
    }
