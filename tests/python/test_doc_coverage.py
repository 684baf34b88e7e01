"""Every column of every public model is documented, measured by dbt-coverage on the demo build's catalog.

dbt-coverage compares the warehouse's real columns (catalog.json, from `dbt docs
generate`) with the descriptions in the manifest, so a column a model returns but
its YAML forgets is found (a check of the YAML alone cannot see it). Public models
are the marts with an enforced contract: what BI tools, reverse-ETL tools and the
API read. The report of every mart and of the Python models' own outputs is
printed at the end of `make test` (written to $DOC_COVERAGE_REPORT when set).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from conftest import DBT, PROJECT_DIR, assert_ok, run_dbt

pytestmark = pytest.mark.e2e

DBT_COVERAGE = Path(DBT).parent / "dbt-coverage"  # installed beside dbt (requirements-dev.txt)


@pytest.fixture(scope="module")
def coverage(built, warehouse_copy):
    work = warehouse_copy("doc_coverage")
    assert_ok(run_dbt(["docs", "generate"], built.raw_dir, work))
    report = work / "coverage-doc.json"
    run = subprocess.run(
        [
            str(DBT_COVERAGE),
            "compute",
            "doc",
            "--run-artifacts-dir",
            str(work / "target"),
            "--cov-report",
            str(report),
            "--model-path-filter",
            "models/marts/",
            # the Python models' own outputs, private steps in intermediate
            "--model-path-filter",
            "models/intermediate/ml/ml_",
            "--model-path-filter",
            "models/intermediate/recommendations/ml_",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    if os.environ.get("DOC_COVERAGE_REPORT"):
        Path(os.environ["DOC_COVERAGE_REPORT"]).write_text(run.stdout)
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    return json.loads(report.read_text()), manifest


def test_every_column_of_every_public_model_is_documented(coverage):
    report, manifest = coverage
    public = {
        f"{node['schema']}.{node['alias']}"
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        and node["original_file_path"].startswith("models/marts/")
        and node["config"]["contract"]["enforced"]
    }
    tables = {table["name"]: table for table in report["tables"]}
    assert len(public) >= 30
    assert public <= set(tables), public - set(tables)
    undocumented = [
        f"{name}.{column['name']}"
        for name in sorted(public)
        for column in tables[name]["columns"]
        if not column["covered"]
    ]
    assert undocumented == []


def test_the_python_models_private_outputs_are_documented_too(coverage):
    # not public (their marts publish them), but a reader of the warehouse still finds every column explained
    report, _ = coverage
    tables = {table["name"]: table for table in report["tables"]}
    for name in ("intermediate.ml_customer_scores", "intermediate.ml_customer_recommendations",
                 "intermediate.ml_predictive_model_runs", "intermediate.ml_recommender_runs"):  # fmt: skip
        assert tables[name]["coverage"] == 1.0, name
