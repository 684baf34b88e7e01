"""Heavy SQL models of a built warehouse, each alone, at several DuckDB memory limits: completed or not, how long.

The build runs its models in one DuckDB buffer (DUCKDB_MEMORY_LIMIT, 3 GB by default), one at a time unless
DUCKDB_THREADS says more. A model that completes at some limits and not at others is work DuckDB cannot spill,
not a lack of memory: at 1,000,000 contacts int_training_snapshots failed alone at 1.5 and 2 GB ("failed to pin
block") and passed at 500 MB and 1 GB; computed one family after the other it passed alone at every limit and
still failed once in four full builds, until the families were chained (macros/customer_features_at.sql, issue 15).
Each try runs the model's SQL as the build compiled it (the target folder of a `make bench-scale` build) into a
scratch table, in a fresh connection with the profile's settings, and samples duckdb_memory() for the peak in
memory and spilled.

    python benchmarks/bench_memory_limits.py --work data/bench/scale/1000000
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import duckdb
from benchlib import PROJECT_DIR

MODELS = ["int_training_snapshots", "int_customer_features"]
LIMITS = ["500MB", "1GB", "1500MB", "2GB", "3GB"]
SCRATCH = "bench_memory_limits"


def compiled_sql(target: Path, model: str) -> str:
    found = sorted(target.glob(f"compiled/**/{model}.sql"))
    if not found:
        raise SystemExit(f"no compiled SQL of {model} under {target}: build the warehouse first (make bench-scale)")
    return found[0].read_text()


def one_try(db: Path, sql: str, limit: str) -> dict:
    """The SQL into a scratch table at this memory limit: seconds, error, peak MiB in memory and spilled."""
    con = duckdb.connect(str(db), config={"memory_limit": limit, "preserve_insertion_order": False, "threads": 2})
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"create schema if not exists {SCRATCH}")
    peak = {"memory_mib": 0, "spilled_mib": 0}
    done = threading.Event()

    def sample() -> None:
        cursor = con.cursor()
        while not done.wait(0.2):
            memory, spilled = cursor.execute(
                "select sum(memory_usage_bytes), sum(temporary_storage_bytes) from duckdb_memory()"
            ).fetchall()[0]
            peak["memory_mib"] = max(peak["memory_mib"], round(memory / 2**20))
            peak["spilled_mib"] = max(peak["spilled_mib"], round(spilled / 2**20))

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    error = None
    try:
        con.cursor().execute(f"create or replace table {SCRATCH}.out as {sql}")
    except duckdb.Error as e:
        error = str(e).splitlines()[0]
    seconds = time.perf_counter() - t0
    done.set()
    sampler.join()
    con.execute(f"drop schema {SCRATCH} cascade")
    con.close()
    return {"limit": limit, "completed": error is None, "seconds": round(seconds, 1), **peak, "error": error}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=PROJECT_DIR / "data" / "bench" / "scale" / "1000000",
                    help="a bench-scale work folder: warehouse.duckdb and full/target")  # fmt: skip
    ap.add_argument("--models", nargs="+", default=MODELS)
    ap.add_argument("--limits", nargs="+", default=LIMITS)
    ap.add_argument("--out", type=Path, default=None, help="default benchmarks/results/memory_limits_<work name>.json")
    a = ap.parse_args(argv)
    db, target = a.work / "warehouse.duckdb", a.work / "full" / "target"
    tries = []
    for model in a.models:
        sql = compiled_sql(target, model)
        for limit in a.limits:
            t = {"model": model, **one_try(db, sql, limit)}
            tries.append(t)
            said = "completed" if t["completed"] else f"FAILED: {t['error']}"
            print(f"{model:32s} {limit:>7s} {t['seconds']:7.1f} s  peak {t['memory_mib']:5d} MiB in memory, "
                  f"{t['spilled_mib']:5d} MiB spilled  {said}", flush=True)  # fmt: skip
    report = {"work": str(a.work), "tries": tries}
    out = a.out or PROJECT_DIR / "benchmarks" / "results" / f"memory_limits_{a.work.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {out}")
    return report


if __name__ == "__main__":
    main()
