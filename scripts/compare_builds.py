"""Compare two builds of the project relation by relation, row by row.

Each side is a DuckDB file (``duckdb:PATH``) or a Spark Connect server
(``spark:sc://host:port``). Rows are compared as multisets: both sides are
sorted on every column, text compares exactly, timestamps to the microsecond,
numbers to a relative and absolute tolerance (engines sum floats in different
orders). Prints one line per relation and exits non-zero on any difference.

    python scripts/compare_builds.py duckdb:a.duckdb spark:sc://127.0.0.1:15002 \
        --relations main.fct_customer_features,exports.sync_mailchimp_members
"""

from __future__ import annotations

import argparse
import math
import numbers
import sys
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd


class Side:
    def __init__(self, spec: str):
        kind, _, where = spec.partition(":")
        self.kind, self.where = kind, where
        if kind == "duckdb":
            import duckdb

            self.con = duckdb.connect(where, read_only=True)
        elif kind == "spark":
            from pyspark.sql import SparkSession

            self.spark = SparkSession.builder.remote(where).getOrCreate()
        else:
            raise SystemExit(f"unknown side {spec!r}: use duckdb:PATH or spark:sc://host:port")

    def exists(self, relation: str) -> bool:
        schema, table = relation.split(".")
        if self.kind == "duckdb":
            cursor = self.con.cursor()
            try:
                return bool(
                    cursor.execute(
                        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                        [schema, table],
                    ).fetchall()[0][0]
                )
            finally:
                cursor.close()
        return bool(self.spark.catalog.tableExists(table, schema))

    def frame(self, relation: str) -> pd.DataFrame:
        if self.kind == "duckdb":
            frame = self.con.sql(f"select * from {relation}").df()
        else:
            frame = self.spark.sql(f"select * from {relation}").toPandas()
        frame.columns = [c.lower() for c in frame.columns]
        return frame


def normalise(value, digits: int):
    """One comparable, sortable form of a cell."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ("0null",)
    if isinstance(value, (bool, np.bool_)):
        return ("bool", bool(value))
    if isinstance(value, (numbers.Number, Decimal)):
        number = float(value)
        if math.isinf(number):
            return ("num", number)
        return ("num", float(f"{number:.{digits}g}"))
    if isinstance(value, (pd.Timestamp, datetime)):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        return ("time", stamp.isoformat())
    if isinstance(value, date):
        return ("time", pd.Timestamp(value).isoformat())
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return ("list", tuple(normalise(v, digits) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((k, normalise(v, digits)) for k, v in value.items())))
    return ("text", str(value))


def close(a, b, rel: float, absolute: float) -> bool:
    if a == b:
        return True
    if a[0] == "num" and b[0] == "num":
        return math.isclose(a[1], b[1], rel_tol=rel, abs_tol=absolute)
    if a[0] == b[0] == "list" and len(a[1]) == len(b[1]):
        return all(close(x, y, rel, absolute) for x, y in zip(a[1], b[1], strict=True))
    return False


def compare(left: pd.DataFrame, right: pd.DataFrame, ignore: set[str], rel: float, absolute: float) -> str | None:
    lcols = [c for c in left.columns if c not in ignore]
    rcols = [c for c in right.columns if c not in ignore]
    if sorted(lcols) != sorted(rcols):
        only_left, only_right = sorted(set(lcols) - set(rcols)), sorted(set(rcols) - set(lcols))
        return f"columns differ: only left {only_left}, only right {only_right}"
    if len(left) != len(right):
        return f"row counts differ: {len(left)} vs {len(right)}"
    cols = sorted(lcols)
    # sort on values rounded coarser than the tolerance, so float noise does not reorder rows
    lrows = sorted(tuple(normalise(v, 9) for v in row) for row in left[cols].itertuples(index=False))
    rrows = sorted(tuple(normalise(v, 9) for v in row) for row in right[cols].itertuples(index=False))
    for number, (a, b) in enumerate(zip(lrows, rrows, strict=True)):
        for col, x, y in zip(cols, a, b, strict=True):
            if not close(x, y, rel, absolute):
                return f"row {number} (sorted) column {col}: {x[-1]!r} vs {y[-1]!r}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("left")
    parser.add_argument("right")
    parser.add_argument("--relations", required=True, help="comma-separated schema.table")
    parser.add_argument("--ignore-columns", default="", help="comma-separated columns left out everywhere")
    parser.add_argument("--rel-tol", type=float, default=1e-6)
    parser.add_argument("--abs-tol", type=float, default=1e-9)
    args = parser.parse_args()
    left, right = Side(args.left), Side(args.right)
    ignore = {c.strip().lower() for c in args.ignore_columns.split(",") if c.strip()}
    failed = 0
    for relation in [r.strip() for r in args.relations.split(",") if r.strip()]:
        missing = [side.where for side in (left, right) if not side.exists(relation)]
        if missing:
            print(f"MISSING {relation}: not in {', '.join(missing)}")
            failed += 1
            continue
        a, b = left.frame(relation), right.frame(relation)
        problem = compare(a, b, ignore, args.rel_tol, args.abs_tol)
        if problem:
            failed += 1
            print(f"DIFF    {relation}: {problem}")
        else:
            print(f"EQUAL   {relation}: {len(a)} rows x {len(a.columns)} columns")
    print(f"{failed} relation(s) differ")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
