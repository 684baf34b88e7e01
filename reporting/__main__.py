"""`python -m reporting`: write the static HTML report from the published warehouse (`make report`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from reporting.report import build_report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m reporting", description=__doc__)
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("DUCKDB_PUBLISHED_PATH", "data/warehouse.published.duckdb"),
        help="the published copy (DUCKDB_PUBLISHED_PATH), opened read-only; never the build's own file",
    )
    parser.add_argument("--out", default=os.environ.get("REPORT_DIR", "data/report"), help="where the pages go")
    args = parser.parse_args(argv)
    pages = build_report(Path(args.warehouse), Path(args.out))
    print(f"wrote {len(pages)} pages to {Path(args.out) / 'index.html'}")


if __name__ == "__main__":
    main()
