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
    """One comparable, sortable form of a cell (used for the cells of list and struct columns)."""
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


def kind_of(series: pd.Series) -> str | None:
    """What a column holds: num, bool, time, text or other (lists, structs, mixed); None when every cell is null."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "num" if series.notna().any() else None
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "time" if series.notna().any() else None
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred == "empty":
        return None
    return INFERRED_KINDS.get(inferred, "other")


# pandas' names (infer_dtype) for what an object column holds, as this comparison's kinds
INFERRED_KINDS = {
    "string": "text",
    "boolean": "bool",
    "integer": "num",
    "floating": "num",
    "decimal": "num",
    "mixed-integer-float": "num",
    "datetime": "time",
    "datetime64": "time",
    "date": "time",
}


def column_values(series: pd.Series, kind: str) -> pd.Series:
    """The column in one form per kind: float64 for num and bool (NaN for null), microseconds since the epoch in
    UTC for time (as float64, exact to the microsecond), str for text, the normalised form's repr for other."""
    series = series.reset_index(drop=True)
    if kind in ("num", "bool"):
        return series.astype(object).where(series.notna(), np.nan).astype("float64")
    if kind == "time":
        stamps = pd.to_datetime(series, utc=True, format="mixed") if series.dtype == object else series
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
        micros = stamps.astype("datetime64[us]").astype("int64").astype("float64")
        return micros.where(stamps.notna(), np.nan)
    if kind == "text":
        return series.astype(object).where(series.notna(), None)
    forms = (normalise(v, 9) for v in series)
    return pd.Series([None if form == ("0null",) else repr(form) for form in forms], dtype=object)


def significant(values: np.ndarray, digits: int) -> np.ndarray:
    """values rounded to digits significant digits (inf and NaN kept): a sort key float noise does not reorder."""
    with np.errstate(all="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
        scale = 10.0 ** (digits - 1 - np.where(np.isfinite(magnitude), magnitude, 0))
        rounded = np.round(values * scale) / scale
    return np.where(np.isfinite(rounded), rounded, values)


def compare(left: pd.DataFrame, right: pd.DataFrame, ignore: set[str], rel: float, absolute: float) -> str | None:
    """None when the two frames hold the same rows (as multisets), else the first difference found.

    Text and booleans compare exactly, timestamps to the microsecond (time zones converted to UTC), numbers
    within the tolerances (as math.isclose). Rows are sorted on every column, numbers rounded to 9 significant
    digits for the sort so that float noise does not reorder them.
    """
    lcols = [c for c in left.columns if c not in ignore]
    rcols = [c for c in right.columns if c not in ignore]
    if sorted(lcols) != sorted(rcols):
        only_left, only_right = sorted(set(lcols) - set(rcols)), sorted(set(rcols) - set(lcols))
        return f"columns differ: only left {only_left}, only right {only_right}"
    if len(left) != len(right):
        return f"row counts differ: {len(left)} vs {len(right)}"
    cols = sorted(lcols)
    values: dict[str, tuple[pd.Series, pd.Series]] = {}
    kinds: dict[str, str] = {}
    for col in cols:
        lkind, rkind = kind_of(left[col]), kind_of(right[col])
        if lkind and rkind and lkind != rkind:
            return f"column {col} holds {lkind} on the left, {rkind} on the right"
        kinds[col] = lkind or rkind or "text"
        values[col] = (column_values(left[col], kinds[col]), column_values(right[col], kinds[col]))
    if not cols or not len(left):
        return None

    def sorted_order(side: int) -> np.ndarray:
        keys = pd.DataFrame(
            {
                col: significant(values[col][side].to_numpy(), 9) if kinds[col] == "num" else values[col][side]
                for col in cols
            }
        )
        return keys.sort_values(cols, na_position="first", kind="mergesort").index.to_numpy()

    lorder, rorder = sorted_order(0), sorted_order(1)
    first: tuple[int, int, str] | None = None
    for position, col in enumerate(cols):
        a = values[col][0].to_numpy()[lorder]
        b = values[col][1].to_numpy()[rorder]
        if kinds[col] == "num":
            with np.errstate(invalid="ignore"):
                near = np.abs(a - b) <= np.maximum(rel * np.maximum(np.abs(a), np.abs(b)), absolute)
            same = near | (a == b) | (np.isnan(a) & np.isnan(b))
        else:
            same = np.asarray(a == b, dtype=bool)  # text and other: None == None holds
            if a.dtype.kind == "f":  # bool and time: both null holds
                same |= np.isnan(a) & np.isnan(b)
        bad = np.flatnonzero(~same)
        if len(bad) and (first is None or (bad[0], position) < first[:2]):
            first = (int(bad[0]), position, col)
    if first is None:
        return None
    row, _, col = first
    shown_left, shown_right = left[col].to_numpy()[lorder[row]], right[col].to_numpy()[rorder[row]]
    return f"row {row} (sorted) column {col}: {shown_left!r} vs {shown_right!r}"


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
