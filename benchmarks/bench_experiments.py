"""Benchmark of the experiment layer: about a million assignments with three metrics.

Builds a copy of the project on generated data (100,000 contacts by default)
whose seeds/experiments.csv holds enough project-run experiments to reach the
requested number of assignments, then times `dbt run --select tag:experiments`
alone (assignment, unit metrics, arm sums, statistics, results and daily
marts). Prints what it measured and writes benchmarks/results/experiments.json.

    PYTHONPATH=scripts python benchmarks/bench_experiments.py --assignments 1000000
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from pathlib import Path

import duckdb
from benchlib import PROJECT_DIR, dbt_env, generate_bench_data, report_timed_layer, run_dbt_measured

COPY = ["dbt_project.yml", "profiles.yml", "selectors.yml", "models", "macros", "seeds", "tests", "python_udfs"]
HEADER = "experiment_id,control_variant,conversion_window_days,variants,assigned_by,starts_at,ends_at,primary_metric"


def write_experiments(seed: Path, count: int, starts_at: str) -> None:
    rows = [HEADER] + [
        f"bench_{i:02d},control,14,control:1|treatment:1,project,{starts_at},,conversion" for i in range(count)
    ]
    seed.write_text("\n".join(rows) + "\n")


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignments", type=int, default=1_000_000)
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--metrics", default="conversion,revenue,visit")
    ap.add_argument("--end-date", default="2026-11-01")
    ap.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "data" / "bench" / "experiments")
    a = ap.parse_args(argv)

    work = a.work_dir
    raw = generate_bench_data(work, a.contacts, a.end_date)
    project = work / "project"
    project.mkdir(parents=True)
    for name in COPY:
        src = PROJECT_DIR / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, project / name)
    env = dbt_env(raw, work / "warehouse.duckdb", project)
    metrics = [m.strip() for m in a.metrics.split(",")]
    dbt_vars = json.dumps({"as_of_date": a.end_date, "experiment_metrics": metrics})

    # upstream once (not timed), then size the experiments to the requested assignments
    write_experiments(project / "seeds" / "experiments.csv", 1, "2026-09-01")
    run_dbt_measured(["seed", "--vars", dbt_vars], env, work / "upstream", project)
    # activation and exports read the experiments (the holdout): leave them out too
    upstream = ["run", "--exclude", "tag:experiments", "tag:activation", "tag:exports", "--vars", dbt_vars]
    run_dbt_measured(upstream, env, work / "upstream", project)
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        known = con.execute("select count(*) from main.dim_customers where is_known").fetchall()[0][0]
    per_experiment = known * 0.95  # the global holdout's 5% sit out project experiments
    count = max(1, math.ceil((a.assignments - known) / per_experiment))
    write_experiments(project / "seeds" / "experiments.csv", count, "2026-09-01")
    run_dbt_measured(["seed", "--full-refresh", "--select", "experiments", "--vars", dbt_vars], env, work / "upstream",
                     project)  # fmt: skip

    run = run_dbt_measured(["run", "--select", "tag:experiments", "--vars", dbt_vars], env, work / "timed", project)
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        assignments = con.execute("select count(*) from main.fct_experiment_assignments").fetchall()[0][0]
        unit_rows = con.execute("select count(*) from main.fct_experiment_unit_metrics").fetchall()[0][0]
        result_rows = con.execute("select count(*) from main.rpt_experiment_results").fetchall()[0][0]
        daily_rows = con.execute("select count(*) from main.rpt_experiment_daily").fetchall()[0][0]
    report = {
        "contacts": a.contacts,
        "experiments": count + 1,
        "assignments": assignments,
        "metrics": metrics,
        "unit_metric_rows": unit_rows,
        "result_rows": result_rows,
        "daily_rows": daily_rows,
    }
    print(f"{assignments:,} assignments in {count + 1} experiments (incl. the global holdout), metrics {metrics}")
    print(f"unit metric rows {unit_rows:,}; result rows {result_rows:,}; daily rows {daily_rows:,}")
    report_timed_layer("experiments", "experiment layer (dbt run --select tag:experiments)", run, report)
    return report


if __name__ == "__main__":
    main()
