"""Benchmark at scale: a full build of CONTACTS contacts, then one new hour of events and the hourly refresh.

Stages, each run as its own process and measured (wall time, peak resident
memory of its process tree, and for the dbt stages the slowest nodes of
run_results.json):

1. generate: the demo raw data, 365 days ending --end-date, streamed in chunks
   of --chunk-contacts contacts (Parquet parts when there is more than one);
2. full build: ``dbt build --selector nightly`` as of --end-date (midnight);
3. append hour: scripts/append_demo_hour.py writes the hour after the data's
   end (web events, email events, orders of known contacts) as new parts;
4. refresh: ``dbt build --selector refresh`` with as_of_date moved one hour
   on, to the end of the new hour, so the new rows are in and nothing later is.

"Today" is pinned by the environment variable AS_OF_DATE, not a dbt var, and
the refresh starts from the full build's parse (partial_parse.msgpack), as an
hourly job does where the last run ran: dbt then parses nothing again
(macros/as_of_timestamp.sql reads AS_OF_DATE only when it renders SQL to run);
a changed var would make it parse the whole project.

Writes benchmarks/results/scale_<contacts>.json.

    PYTHONPATH=scripts python benchmarks/bench_scale.py --contacts 10000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
from benchlib import PROJECT_DIR, dbt_env, run_dbt_measured, run_measured
from generate_demo_data import CHUNK_CONTACTS

SCRIPTS = PROJECT_DIR / "scripts"
# Rows of the new hour that the refresh's staging tables hold: (table, timestamp column).
NEW_ROWS_SEEN = {
    "web_events": ("base_web__events", "occurred_at"),
    "email_events": ("base_esp__email_events", "occurred_at"),
    "orders": ("base_shop__orders", "ordered_at"),
}


def run_script(cmd: list[str], env: dict[str, str]) -> dict:
    """A Python script of the project, measured like the dbt stages (no nodes of its own)."""
    return {**run_measured([sys.executable, *cmd], env), "nodes": []}


def new_rows_seen(db: Path, start: datetime, end: datetime) -> dict[str, int]:
    """Rows dated in the new hour that the refresh loaded, per raw table (from its staging base tables)."""
    seen = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for raw, (table, column) in NEW_ROWS_SEEN.items():
            (schema,) = con.execute(
                "select table_schema from information_schema.tables where table_name = ?", [table]
            ).fetchone()
            (n,) = con.execute(
                f'select count(*) from "{schema}"."{table}" where {column} >= ? and {column} < ?', [start, end]
            ).fetchone()
            seen[raw] = n
    return seen


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--end-date", default="2026-11-01", help="the generated history ends at this date's midnight")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--chunk-contacts", type=int, default=CHUNK_CONTACTS)
    ap.add_argument("--work-dir", type=Path, default=None, help="default data/bench/scale/<contacts>")
    ap.add_argument("--top", type=int, default=15, help="how many of the slowest nodes to list per stage")
    a = ap.parse_args(argv)

    work = a.work_dir or PROJECT_DIR / "data" / "bench" / "scale" / str(a.contacts)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    raw, db = work / "raw", work / "warehouse.duckdb"
    env = dbt_env(raw, db)
    end = datetime.fromisoformat(a.end_date)
    hour_end = end + timedelta(hours=1)
    full_as_of, refresh_as_of = end.strftime("%Y-%m-%d"), hour_end.strftime("%Y-%m-%d %H:%M:%S")
    products = max(200, min(5000, a.contacts // 20))

    stages: dict[str, dict] = {}
    stages["generate"] = run_script(
        [str(SCRIPTS / "generate_demo_data.py"), "--contacts", str(a.contacts), "--products", str(products),
         "--seed", str(a.seed), "--end-date", a.end_date, "--chunk-contacts", str(a.chunk_contacts),
         "--out", str(raw), "--truth-out", str(work / "truth")],
        env,
    )  # fmt: skip
    print(stages["generate"]["said"], flush=True)
    stages["full build"] = run_dbt_measured(
        ["build", "--selector", "nightly"], {**env, "AS_OF_DATE": full_as_of}, work / "full"
    )
    print(f"full build done in {stages['full build']['wall_seconds']:.1f} s", flush=True)
    stages["append hour"] = run_script(
        [str(SCRIPTS / "append_demo_hour.py"), "--raw", str(raw), "--start", end.isoformat(), "--seed", str(a.seed)],
        env,
    )
    print(stages["append hour"]["said"], flush=True)
    (work / "refresh" / "target").mkdir(parents=True)  # the hourly job runs where the last run ran: its parse
    shutil.copy2(work / "full" / "target" / "partial_parse.msgpack", work / "refresh" / "target")
    stages["refresh"] = run_dbt_measured(
        ["build", "--selector", "refresh"], {**env, "AS_OF_DATE": refresh_as_of}, work / "refresh"
    )
    seen = new_rows_seen(db, end, hour_end)

    report = {
        "contacts": a.contacts,
        "products": products,
        "end_date": a.end_date,
        "chunk_contacts": a.chunk_contacts,
        "full_build_as_of": full_as_of,
        "refresh_as_of": refresh_as_of,
        "generated": stages["generate"]["said"],
        "appended": stages["append hour"]["said"],
        "new_rows_seen_by_refresh": seen,
        "dbt_threads": stages["full build"]["threads"],
        "stages": {
            name: {
                "wall_seconds": round(s["wall_seconds"], 1),
                "peak_rss_mib": round(s["peak_rss_mib"]),
                "nodes": len(s["nodes"]),
                "slowest": [{**n, "seconds": round(n["seconds"], 2)} for n in s["nodes"][: a.top]],
            }
            for name, s in stages.items()
        },
    }
    out = PROJECT_DIR / "benchmarks" / "results" / f"scale_{a.contacts}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"\ncontacts {a.contacts:,}  products {products:,}  ({stages['full build']['threads']} dbt threads)")
    print(f"{'stage':14s} {'wall':>9s} {'peak memory':>12s} {'nodes':>6s}")
    for name, s in report["stages"].items():
        print(f"{name:14s} {s['wall_seconds']:7.1f} s {s['peak_rss_mib']:8.0f} MiB {s['nodes'] or '':>6}")
    print("new hour's rows the refresh loaded: " + ", ".join(f"{t} {n:,}" for t, n in seen.items()))
    for name, s in report["stages"].items():
        if s["slowest"]:
            print(f"\n{name}: slowest {len(s['slowest'])} nodes")
            for n in s["slowest"]:
                print(f"  {n['seconds']:7.2f} s  {n['type']:9s} {n['node']}")
    print(f"\nwritten to {out.relative_to(PROJECT_DIR)}")
    return report


if __name__ == "__main__":
    main()
