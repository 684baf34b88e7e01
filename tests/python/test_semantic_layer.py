"""The semantic layer (models/marts/semantic) gives the numbers the marts hold.

MetricFlow's CLI (`mf`) queries a copy of the session demo build, and each metric is compared with the same
number computed here in SQL straight from its mart: a BI tool that reads the dbt semantic layer and one that
reads the marts see the same figures. `make semantic` checks the definitions statically; here
`mf validate-configs` also runs its data-warehouse checks (every measure, dimension and metric queried).

mf reads <project>/target/semantic_manifest.json and the project's profile: it runs in a folder that links
the project's files and holds the session build's semantic manifest, so the checkout's target/ is untouched.
"""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_DIR, Build, dbt_env

pytestmark = pytest.mark.e2e

MF = Path(sys.executable).parent / "mf"
NOT_LINKED = {"target", "logs", "data", ".git", ".venv"}


class SemanticLayer:
    def __init__(self, project: Path, env: dict[str, str], warehouse: Build):
        self.project, self.env, self.warehouse = project, env, warehouse

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(MF), *args], cwd=self.project, env=self.env, capture_output=True, text=True)

    def query(self, metrics: list[str], group_by: list[str]) -> list[dict[str, str]]:
        out = self.project / "query.csv"
        out.unlink(missing_ok=True)
        grouped = ["--group-by", ",".join(group_by)] if group_by else []
        result = self.run("query", "--metrics", ",".join(metrics), *grouped, "--csv", str(out))
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert out.exists(), result.stdout[-3000:]
        with out.open(newline="") as f:
            return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def semantic(built, warehouse_copy, tmp_path_factory) -> SemanticLayer:
    work = warehouse_copy("semantic")
    project = tmp_path_factory.mktemp("semantic_project")
    for entry in PROJECT_DIR.iterdir():
        if entry.name not in NOT_LINKED:
            (project / entry.name).symlink_to(entry)
    (project / "target").mkdir()
    shutil.copy(built.work_dir / "target" / "semantic_manifest.json", project / "target")
    env = dbt_env(built.raw_dir, work, DBT_PROJECT_DIR=str(project), DBT_PROFILES_DIR=str(project))
    warehouse = Build(raw_dir=built.raw_dir, db_path=work / "warehouse.duckdb", work_dir=work, result=built.result)
    return SemanticLayer(project, env, warehouse)


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def assert_same(from_mf: dict, from_sql: dict) -> None:
    """Same keys, and every value equal to rounding (floating sums in another order)."""
    assert from_mf.keys() == from_sql.keys()
    assert from_sql, "nothing to compare"
    for key, expected in from_sql.items():
        got = from_mf[key]
        for g, e in zip(got, expected, strict=True):
            if e is None:
                assert g is None, (key, got, expected)
            else:
                assert g is not None, (key, got, expected)
                assert math.isclose(g, float(e), rel_tol=1e-9, abs_tol=1e-9), (key, got, expected)


def test_mf_validates_the_definitions_against_the_warehouse(semantic):
    result = semantic.run("validate-configs")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Successfully validated metrics against data warehouse" in result.stdout


def test_experiment_conversion_rate_is_rpt_experiment_results_value(semantic):
    rows = semantic.query(
        ["experiment_conversion_rate", "experiment_units"], ["experiment", "experiment_unit_metric__variant"]
    )
    from_mf = {
        (r["experiment"], r["experiment_unit_metric__variant"]): (
            number(r["experiment_conversion_rate"]),
            number(r["experiment_units"]),
        )
        for r in rows
    }
    from_sql = {
        (experiment, variant): (value, n_units)
        for experiment, variant, value, n_units in semantic.warehouse.query(
            "select experiment_id, variant, value, n_units from rpt_experiment_results "
            "where metric = 'conversion' and n_units > 0"
        )
    }
    assert_same(from_mf, from_sql)
    assert any(value > 0 for value, _ in from_sql.values())


def test_campaign_metrics_are_rpt_campaign_performance_summed_per_attribution_model(semantic):
    metrics = ["revenue_per_send", "attributed_revenue", "campaign_sends", "open_rate", "click_rate"]
    rows = semantic.query(metrics, ["campaign", "campaign_performance__attribution_model"])
    from_mf = {
        (r["campaign"], r["campaign_performance__attribution_model"]): tuple(number(r[m]) for m in metrics)
        for r in rows
    }
    from_sql = {
        (campaign, model): rest
        for campaign, model, *rest in semantic.warehouse.query(
            """
            select
                campaign_id,
                attribution_model,
                sum(attributed_revenue) / nullif(sum(sends), 0),
                sum(attributed_revenue),
                sum(sends),
                sum(unique_human_opens) / nullif(sum(deliveries), 0),
                sum(unique_clicks) / nullif(sum(deliveries), 0)
            from rpt_campaign_performance
            group by campaign_id, attribution_model
            """
        )
    }
    assert_same(from_mf, from_sql)
    assert sum(revenue for _, revenue, *_ in from_sql.values()) > 0


def test_sends_count_once_whatever_the_attribution_models(semantic):
    (row,) = semantic.query(["campaign_sends", "campaign_deliveries"], [])
    sends, deliveries = semantic.warehouse.query(
        "select sum(sends), sum(deliveries) from rpt_campaign_performance where attribution_model = 'last_click'"
    )[0]
    assert number(row["campaign_sends"]) == sends > 0
    assert number(row["campaign_deliveries"]) == deliveries


def test_incremental_revenue_is_rpt_programme_impact_by_month(semantic):
    rows = semantic.query(["incremental_revenue", "programme_cost"], ["metric_time__month"])
    from_mf = {
        r["metric_time__month"][:10]: (number(r["incremental_revenue"]), number(r["programme_cost"])) for r in rows
    }
    from_sql = {
        str(month): (revenue, cost)
        for month, revenue, cost in semantic.warehouse.query(
            "select month_start, incremental_revenue, total_cost from rpt_programme_impact"
        )
    }
    assert_same(from_mf, from_sql)


def test_retention_and_cohort_ltv_are_rpt_customer_cohorts_weighted_by_cohort_size(semantic):
    rows = semantic.query(["retention_rate", "cohort_ltv"], ["customer_cohort__months_since_first_order"])
    from_mf = {
        int(r["customer_cohort__months_since_first_order"]): (number(r["retention_rate"]), number(r["cohort_ltv"]))
        for r in rows
    }
    from_sql = {
        months: (retention, ltv)
        for months, retention, ltv in semantic.warehouse.query(
            """
            select
                months_since_first_order,
                sum(active_customers) / sum(cohort_customers),
                sum(cumulative_net_revenue) / sum(cohort_customers)
            from rpt_customer_cohorts
            group by months_since_first_order
            """
        )
    }
    assert_same(from_mf, from_sql)
    assert from_mf[0][0] == 1.0


def test_ltv_per_customer_by_segment_joins_the_segments(semantic):
    rows = semantic.query(["ltv_per_customer", "customers_with_features"], ["customer__rfm_segment"])
    from_mf = {
        r["customer__rfm_segment"] or None: (number(r["ltv_per_customer"]), number(r["customers_with_features"]))
        for r in rows
    }
    from_sql = {
        segment: (ltv, customers)
        for segment, ltv, customers in semantic.warehouse.query(
            """
            select segments.rfm_segment, avg(features.monetary_value), count(*)
            from fct_customer_features as features
            left join fct_customer_segments as segments
                on features.customer_id = segments.customer_id
            group by segments.rfm_segment
            """
        )
    }
    assert_same(from_mf, from_sql)
