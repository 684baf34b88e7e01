"""Publish the warehouse for readers: a consistent copy that builds never lock.

    python scripts/publish_warehouse.py   # DUCKDB_PATH -> DUCKDB_PUBLISHED_PATH

DuckDB lets one process write a file and, while it writes, no other process open
it. BI tools, notebooks and the API should therefore read a copy: `make build`
runs this after every successful build. The copy is written beside the target
and renamed over it in one step, so a reader sees the old copy or the new one,
never half of each, and a reader holding the old copy open does not block it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import duckdb

from python_udfs.warehouse_lock import is_lock_error, lock_message


def publish(source: Path, target: Path) -> Path:
    """Checkpoint source (so the file alone holds everything) and copy it atomically to target."""
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
    a = ap.parse_args(argv)
    print(f"published {publish(a.source, a.target)}", file=sys.stderr)


if __name__ == "__main__":
    main()
