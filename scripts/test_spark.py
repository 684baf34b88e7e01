"""`make test-spark`: the SQL layer on a real local Spark, equal to DuckDB row by row.

1. Generates demo raw data (small by default: --contacts).
2. Builds it on DuckDB, the reference: every seed and model, Python models included.
3. Meanwhile (alongside step 2) starts a Spark Connect server from the pyspark
   package (local master, loopback only) and loads the raw tables into its schema
   ``raw``, as a warehouse loader would (CSV as text, Parquet typed).
4. Open-source Spark cannot run dbt Python models: their tables are copied from
   the DuckDB build under the same names.
5. ``dbt build --target spark``: seeds, every SQL model, every data test and
   dbt unit test, reading the raw tables through the var raw_schema.
6. Compares every relation the Spark build wrote with DuckDB's, row by row
   (scripts/compare_builds.py: floats to a tolerance), and stops the server.

Exit status 0 only when the Spark build passed and every relation is equal.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "scripts"))

from compare_builds import Side, compare  # noqa: E402

# Columns that hold the run's own moment, not data: never equal across two runs,
# so left out of the comparison of these relations (every other column is compared).
RUN_COLUMNS = {
    # change tracking stamps a changed row with the run's start
    "exports_pending.*": ("updated_at",),
    "exports.*": ("updated_at",),
    # ids are issued, merged and erased at the run's start
    "intermediate.int_customer_external_ids": ("issued_at", "merged_at", "erased_at"),
    "main.dim_customer_external_ids": ("issued_at", "merged_at", "erased_at"),
    # a scoring run is stamped with the run's start, and its id hashes it
    "intermediate.ml_score_history": ("scored_at", "score_history_id"),
    # Monitoring joins each scoring run (stamped by this run's SQL) to the drift
    # run the Python model stamped with its own clock just after. On Spark the
    # Python models' tables are copied from the earlier DuckDB run, so no drift
    # run follows the Spark run's start: the drift columns are left out here.
    "main.rpt_model_monitoring": (
        "scored_at",
        "next_scored_at",
        "drift_scored_at",
        "drift_reference_model_version",
        "max_feature_psi",
        "features_with_major_drift",
        "score_psi",
    ),
    "main.rpt_model_calibration": ("scored_at",),
}


def run_columns(relation: str) -> set[str]:
    return {
        column for pattern, columns in RUN_COLUMNS.items() if fnmatch.fnmatch(relation, pattern) for column in columns
    }


def step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.monotonic()


def run(cmd: list[str], env: dict[str, str], log: Path | None = None) -> None:
    print("$ " + " ".join(cmd), flush=True)
    if log is None:
        subprocess.run(cmd, env=env, check=True, cwd=REPO)
        return
    with log.open("w") as out:
        result = subprocess.run(cmd, env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    # dbt's own summary and error lines; not the Spark client's JSON log records (one per failed describe)
    summary = [
        line
        for line in log.read_text().splitlines()
        if ("Done. PASS=" in line or "ERROR" in line) and not line.startswith("{")
    ]
    print("\n".join(summary[-15:]), flush=True)
    if result.returncode != 0:
        raise SystemExit(f"failed ({result.returncode}): {' '.join(cmd[:3])} ... ; full log: {log}")


def start_spark_and_load_raw(spark_dir: Path, port: int, work: Path, env: dict[str, str], timings: dict) -> str:
    """Start the Spark Connect server and load the raw tables into schema raw; return SPARK_REMOTE."""
    python = str(BIN / "python")
    started = time.monotonic()
    remote = subprocess.run(
        ["bash", "scripts/spark_local.sh", "start", str(spark_dir), str(port)],
        env=dict(env, PYTHON_BIN=python),
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"Spark Connect at {remote}", flush=True)
    timings["spark start (alongside)"] = time.monotonic() - started
    started = time.monotonic()
    run(
        [python, "scripts/spark_load.py", "raw", "--raw-dir", str(work / "raw"), "--schema", "raw"],
        dict(env, SPARK_REMOTE=remote),
        work / "spark-load-raw.log",
    )
    timings["raw load (alongside)"] = time.monotonic() - started
    return remote


def main() -> None:
    # pyspark warns about pandas 3 on every conversion; the comparison checks the values itself
    warnings.filterwarnings("ignore", category=FutureWarning)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=int(os.environ.get("SPARK_TEST_CONTACTS", 1500)))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--end-date", default="2026-06-30")
    parser.add_argument("--as-of", default="2026-07-01")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SPARK_CONNECT_PORT", 15002)))
    parser.add_argument("--work-dir", help="keep everything here (default: a temporary folder, removed on success)")
    args = parser.parse_args()

    work = Path(args.work_dir or tempfile.mkdtemp(prefix="test-spark-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        DBT_PROFILES_DIR=str(REPO),
        DBT_PROJECT_DIR=str(REPO),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        RAW_DATA_DIR=str(work / "raw"),
        DUCKDB_PATH=str(work / "duckdb.duckdb"),
        DUCKDB_PUBLISHED_PATH=str(work / "published.duckdb"),
        MODEL_DIR=str(work / "models"),
        EXPORT_DIR=str(work / "exports"),
        EXPOSURE_DIR=str(work / "exposures"),
        PYTHONWARNINGS="ignore",
    )
    env.pop("SPARK_REMOTE", None)
    dbt = str(BIN / "dbt")
    python = str(BIN / "python")
    timings: dict[str, float] = {}
    began = time.monotonic()

    started = step(f"demo raw data: {args.contacts} contacts, {args.days} days, ending {args.end_date}")
    run(
        [
            python,
            "scripts/generate_demo_data.py",
            "--contacts",
            str(args.contacts),
            "--days",
            str(args.days),
            "--seed",
            str(args.seed),
            "--end-date",
            args.end_date,
            "--out",
            str(work / "raw"),
            "--truth-out",
            str(work / "truth"),
        ],
        env,
    )
    timings["generate"] = time.monotonic() - started

    spark_dir = work / "spark"
    ok = False
    spark = None
    # Spark starts and loads the raw tables while DuckDB builds the reference: the two overlap on the
    # machine's cores instead of waiting on each other. The server is stopped in the finally below,
    # once the start has returned, whatever failed.
    alongside = ThreadPoolExecutor(max_workers=1)
    try:
        spark_ready = alongside.submit(start_spark_and_load_raw, spark_dir, args.port, work, env, timings)
        # seeds and models only: the reference's relations are what the compare needs, and equal relations
        # pass the same data tests, which the Spark build runs
        started = step("DuckDB build (the reference: seeds and models), Spark starting alongside")
        duck_vars = json.dumps({"as_of_date": args.as_of})
        run(
            [
                dbt,
                "build",
                "--resource-type",
                "seed",
                "--resource-type",
                "model",
                "--vars",
                duck_vars,
                "--target-path",
                str(work / "target-duckdb"),
                "--log-path",
                str(work / "logs-duckdb"),
            ],
            env,
            work / "duckdb-build.log",
        )
        manifest = json.loads((work / "target-duckdb" / "manifest.json").read_text())
        models = [
            node
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model"
            and node["package_name"] == "email_personalization"
            and node["config"].get("enabled", True)
            and node["config"]["materialized"] != "ephemeral"
        ]
        python_models = [node for node in models if node["language"] == "python"]
        timings["duckdb build"] = time.monotonic() - started

        started = step("wait for Spark; load the Python models' tables into Spark")
        remote = spark_ready.result()
        spark_env = dict(env, SPARK_REMOTE=remote)
        names = ",".join(f"{node['schema']}.{node['alias']}" for node in python_models)
        run(
            [python, "scripts/spark_load.py", "python-outputs", "--duckdb", env["DUCKDB_PATH"], "--models", names],
            spark_env,
        )
        timings["wait and load"] = time.monotonic() - started

        started = step("dbt build --target spark (seeds, SQL models, data tests, unit tests)")
        spark_vars = json.dumps({"raw_schema": "raw", "as_of_date": args.as_of})
        run(
            [
                dbt,
                "build",
                "--target",
                "spark",
                "--vars",
                spark_vars,
                "--exclude",
                *[node["name"] for node in python_models],
                "--target-path",
                str(work / "target-spark"),
                "--log-path",
                str(work / "logs-spark"),
            ],
            spark_env,
            work / "spark-build.log",
        )
        timings["spark build"] = time.monotonic() - started

        started = step("compare every relation, row by row")
        duck, spark = Side(f"duckdb:{env['DUCKDB_PATH']}"), Side(f"spark:{remote}")
        differ = []
        compared = 0
        # an export as readers see it once published: on DuckDB the publish renames exports_pending's table
        # aside and schema exports shows it (macros/publish_exports.sql); Spark copies it there
        relations = [
            f"{'exports' if node['schema'] == 'exports_pending' else node['schema']}.{node['alias']}"
            for node in sorted(models, key=lambda n: (n["schema"], n["alias"]))
            if node["language"] != "python"
        ]

        def spark_frame(relation: str):
            return spark.frame(relation) if spark.exists(relation) else None

        # Spark reads the next relation (in its own process) while this one compares here
        with ThreadPoolExecutor(max_workers=1) as reader:
            ahead = reader.submit(spark_frame, relations[0]) if relations else None
            for at, relation in enumerate(relations):
                right = ahead.result()
                if at + 1 < len(relations):
                    ahead = reader.submit(spark_frame, relations[at + 1])
                if right is None:
                    differ.append(f"MISSING on Spark {relation}")
                    continue
                problem = compare(duck.frame(relation), right, run_columns(relation), 1e-6, 1e-9)
                compared += 1
                if problem:
                    differ.append(f"DIFF    {relation}: {problem}")
        for line in differ:
            print(line)
        timings["compare"] = time.monotonic() - started
        print(
            f"\n{compared} relations compared, {len(differ)} differ or are missing "
            f"({len(python_models)} Python models' tables were copied from DuckDB, not compared)"
        )
        ok = not differ
    finally:
        alongside.shutdown(wait=True)
        if spark is not None:
            # close the client while the server still answers: its pending release calls would otherwise
            # retry against a stopped server for minutes and keep this process from exiting
            spark.spark.stop()
        subprocess.run(
            ["bash", "scripts/spark_local.sh", "stop", str(spark_dir), str(args.port)],
            env=dict(env, PYTHON_BIN=python),
            cwd=REPO,
            check=False,
        )
    print(
        "\nwall time: "
        + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items())
        + f"; in all {time.monotonic() - began:.0f} s"
    )
    if not ok:
        raise SystemExit(f"Spark and DuckDB differ; logs in {work}")
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    print("Spark and DuckDB agree.")


if __name__ == "__main__":
    main()
