"""Benchmark: generate demo data, run `dbt build`, print what it measured.

Prints the generator's time, dbt's wall time, the peak resident memory of the
dbt process (the warehouse and Python models run inside it) and per-model
times from dbt's run_results.json; writes the same to
benchmarks/results/build_<contacts>.json.

    PYTHONPATH=scripts python benchmarks/bench.py --contacts 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from benchlib import PROJECT_DIR, dbt_env, run_dbt_measured
from generate_demo_data import GeneratorConfig, generate


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=10_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--end-date", default="2026-11-01")
    ap.add_argument("--vars", default="{}", help="extra dbt vars as JSON")
    ap.add_argument("--select", default=None, help="dbt selector, e.g. tag:ml (default: everything)")
    ap.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "data" / "bench")
    ap.add_argument("--top", type=int, default=15, help="how many of the slowest nodes to list")
    a = ap.parse_args(argv)

    work = a.work_dir / str(a.contacts)
    if work.exists():
        shutil.rmtree(work)
    raw = work / "raw"
    products = max(200, min(5000, a.contacts // 20))
    cfg = GeneratorConfig(contacts=a.contacts, days=a.days, products=products, seed=a.seed, end_date=a.end_date)
    t0 = time.perf_counter()
    truth = generate(cfg, raw, work / "truth")
    gen_s = time.perf_counter() - t0
    raw_rows = sum(truth.raw_rows.values())

    dbt_vars = {"as_of_date": a.end_date, **json.loads(a.vars)}
    args = ["build", "--vars", json.dumps(dbt_vars)] + (["--select", a.select] if a.select else [])
    run = run_dbt_measured(args, dbt_env(raw, work / "warehouse.duckdb"), work)
    wall_s, peak_mib, nodes = run["wall_seconds"], run["peak_rss_mib"], run["nodes"]

    by_type: dict[str, float] = {}
    for n in nodes:
        by_type[n["type"]] = by_type.get(n["type"], 0.0) + n["seconds"]
    report = {
        "contacts": a.contacts,
        "days": a.days,
        "products": products,
        "raw_rows": raw_rows,
        "raw_events": truth.raw_rows["web_events"] + truth.raw_rows["email_events"],
        "generate_seconds": round(gen_s, 1),
        "dbt_build_wall_seconds": round(wall_s, 1),
        "dbt_peak_rss_mib": round(peak_mib),
        "dbt_threads": run["threads"],
        "seconds_by_node_type": {k: round(v, 1) for k, v in sorted(by_type.items())},
        "nodes": nodes,
        "select": a.select,
    }
    out = PROJECT_DIR / "benchmarks" / "results" / f"build_{a.contacts}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"contacts {a.contacts:,}  products {products:,}  raw rows {raw_rows:,}  raw events {report['raw_events']:,}")
    print(f"generate demo data      {gen_s:8.1f} s")
    print(f"dbt build (wall)        {wall_s:8.1f} s   ({len(nodes)} nodes, {run['threads']} threads)")
    print(f"dbt peak memory (RSS)   {peak_mib:8.0f} MiB")
    print("time by node type       " + ", ".join(f"{k} {v:.1f} s" for k, v in report["seconds_by_node_type"].items()))
    print(f"slowest {a.top} nodes:")
    for n in report["nodes"][: a.top]:
        print(f"  {n['seconds']:7.2f} s  {n['type']:9s} {n['node']}")
    print(f"written to {out.relative_to(PROJECT_DIR)}")
    return report


if __name__ == "__main__":
    main()
