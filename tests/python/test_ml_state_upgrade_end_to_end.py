"""A warehouse built before the ML steps moved to schema intermediate keeps its registered models.

Until issue 14 the model registries (ml_predictive_model_runs, ml_recommender_runs) and the drift history
(ml_feature_drift), appended run after run, were built in the target schema main. The on-run-start hook
move_ml_state_to_intermediate copies them to intermediate on the first run of the new layout. The old layout
is rebuilt here from the session build: the ML outputs moved back to main and the ml_model_runs view pointed
at them, as the old project left the warehouse.
"""

from __future__ import annotations

import re

import duckdb
import pytest
from conftest import E2E_END_DATE, assert_ok, run_dbt

pytestmark = pytest.mark.e2e

STATE = ("ml_predictive_model_runs", "ml_recommender_runs", "ml_feature_drift")
OUTPUTS = ("ml_customer_scores", "ml_customer_recommendations")
RUNS = "select run_id, model_name, model_version, artifact_path from {} order by run_id"


def old_layout(warehouse_copy, name: str):
    """A copy of the session build with the ML outputs where the project built them before issue 14.

    The ml_model_runs view then graded the registries itself: it becomes the view int_model_runs_graded is
    today (the same SQL) over the registries in main, and int_model_runs_graded, which did not exist, is dropped.
    """
    work = warehouse_copy(name)
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        view = con.execute(
            "select sql from duckdb_views() where schema_name = 'intermediate' and view_name = 'int_model_runs_graded'"
        )
        view_sql = view.fetchone()[0]
        for table in STATE + OUTPUTS:
            con.execute(f"create table main.{table} as select * from intermediate.{table}")
        old_view_sql = re.sub(r'"?intermediate"?\."?(ml_\w+)"?', r"main.\1", view_sql)
        assert old_view_sql != view_sql
        old_view_sql = re.sub(r"^CREATE VIEW \S+", "CREATE OR REPLACE VIEW main.ml_model_runs", old_view_sql)
        assert old_view_sql.startswith("CREATE OR REPLACE VIEW main.ml_model_runs ")
        con.execute(old_view_sql)
        con.execute("drop view intermediate.int_model_runs_graded")
        for table in STATE + OUTPUTS:
            con.execute(f"drop table intermediate.{table}")
        assert con.execute("select count(*) from main.ml_model_runs").fetchone()[0] > 0
    return work


def registry(warehouse, schema: str) -> list[tuple]:
    """Both registries' rows in schema (warehouse: anything with .query, a Build or a Warehouse)."""
    return [row for table in STATE[:2] for row in warehouse.query(RUNS.format(f"{schema}.{table}"))]


class Warehouse:
    """A warehouse file read outside a dbt run."""

    def __init__(self, path):
        self.path = path

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            return con.execute(sql).fetchall()


def test_score_only_after_the_upgrade_scores_with_the_registered_models(built, warehouse_copy):
    work = old_layout(warehouse_copy, "upgrade_score")
    old = Warehouse(work / "warehouse.duckdb")
    runs_before = registry(old, "main")
    drift_before = old.query("select count(distinct scored_at) from main.ml_feature_drift")[0][0]
    assert runs_before
    assert drift_before >= 1

    scored = assert_ok(
        run_dbt(["build", "--selector", "score_only"], built.raw_dir, work, {"as_of_date": E2E_END_DATE})
    )
    assert "Upgrade: copied" in scored.result.stdout
    # the same registry rows, now in intermediate: nothing retrained, nothing lost
    assert registry(scored, "intermediate") == runs_before
    current = scored.scalar(
        "select model_version from main.ml_model_runs where model_name = 'propensity' and is_current"
    )
    assert scored.query("select distinct model_version from main.fct_customer_scores") == [(current,)]
    assert scored.scalar("select count(distinct scored_at) from intermediate.ml_feature_drift") == drift_before + 1


def test_a_retrain_after_the_upgrade_appends_to_the_registry(built, warehouse_copy):
    work = old_layout(warehouse_copy, "upgrade_retrain")
    runs_before = registry(Warehouse(work / "warehouse.duckdb"), "main")

    retrained = assert_ok(
        run_dbt(
            [
                "run",
                "--select",
                "ml_predictive_model_runs",
                "ml_recommender_runs",
                "int_model_runs_graded",
                "ml_model_runs",
            ],
            built.raw_dir,
            work,
            {"as_of_date": E2E_END_DATE},
        )
    )
    runs_after = registry(retrained, "intermediate")
    # every registered run kept (the copy was appended to, not replaced), one new run per model
    assert set(runs_before) < set(runs_after)
    assert len(runs_after) == 2 * len(runs_before)
    # the registry view reads the registries' new home
    assert retrained.scalar("select count(*) from main.ml_model_runs") == len(runs_after)
    # and a later run finds them there: nothing is copied twice
    again = assert_ok(run_dbt(["run", "--select", "ml_model_runs"], built.raw_dir, work, {"as_of_date": E2E_END_DATE}))
    assert "Upgrade: copied" not in again.result.stdout
    assert registry(again, "intermediate") == runs_after
