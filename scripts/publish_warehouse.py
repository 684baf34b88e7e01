"""Publish the warehouse for readers: a consistent copy that builds never lock.

    python scripts/publish_warehouse.py   # DUCKDB_PATH -> DUCKDB_PUBLISHED_PATH

DuckDB lets one process write a file and, while it writes, no other process open
it. BI tools, notebooks and the API should therefore read a copy: `make build`
runs this after every successful build. The copy is written beside the target
and renamed over it in one step, so a reader sees the old copy or the new one,
never half of each, and a reader holding the old copy open does not block it.

The copy carries its identity in table main.published_build (one row: build_id,
built_at, published_at, dbt_version), written into the copy before the rename:
build_id is the dbt invocation_id of target/run_results.json (the run that built
the warehouse) when there is one, else a fresh uuid. The personalisation API
reports it (`/v1/health`) and stamps every response with it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from python_udfs.warehouse_lock import is_lock_error, lock_message


def build_identity(run_results: Path | None) -> dict:
    """build_id, built_at and dbt_version from dbt's run_results.json when readable, else a fresh id."""
    identity = {"build_id": str(uuid.uuid4()), "built_at": None, "dbt_version": None}
    try:
        metadata = json.loads(run_results.read_text())["metadata"] if run_results else {}
    except (OSError, ValueError, KeyError, TypeError):
        metadata = {}
    if metadata.get("invocation_id"):
        identity["build_id"] = str(metadata["invocation_id"])
    identity["dbt_version"] = metadata.get("dbt_version")
    if metadata.get("generated_at"):
        identity["built_at"] = datetime.fromisoformat(str(metadata["generated_at"]).replace("Z", "+00:00"))
    return identity


def stamp(path: Path, identity: dict) -> None:
    """Write main.published_build (one row) into the copy at path."""
    published_at = datetime.now(UTC)
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create or replace table main.published_build (build_id varchar, built_at timestamptz,"
            " published_at timestamptz, dbt_version varchar)"
        )
        con.execute(
            "insert into main.published_build values (?, ?, ?, ?)",
            [identity["build_id"], identity["built_at"], published_at, identity["dbt_version"]],
        )
        con.execute("checkpoint")


def default_run_results() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH", "target")) / "run_results.json"


def publish(source: Path, target: Path, run_results: Path | None = None) -> Path:
    """Checkpoint source (so the file alone holds everything) and copy it atomically to target, stamped."""
    if not source.exists():
        raise SystemExit(f"no warehouse at {source}: run `make build` first")
    try:
        with duckdb.connect(str(source)) as con:
            con.execute("checkpoint")
    except duckdb.Error as exc:
        if is_lock_error(exc):
            raise SystemExit(lock_message(str(source), str(exc))) from None
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(source, partial)
        stamp(partial, build_identity(run_results))
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, default=Path(os.environ.get("DUCKDB_PATH", "data/warehouse.duckdb")))
    ap.add_argument(
        "--target",
        type=Path,
        default=Path(os.environ.get("DUCKDB_PUBLISHED_PATH", "data/warehouse.published.duckdb")),
    )
    ap.add_argument(
        "--run-results",
        type=Path,
        default=default_run_results(),
        help="dbt's run_results.json of the build (its invocation_id becomes the build_id)",
    )
    a = ap.parse_args(argv)
    print(f"published {publish(a.source, a.target, a.run_results)}", file=sys.stderr)


if __name__ == "__main__":
    main()
