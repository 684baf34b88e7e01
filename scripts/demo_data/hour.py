"""One more hour of events for raw data already written: what an hourly loader would land next.

``append_hour`` adds web events, email events and orders (with their order
items) of existing CRM contacts (web events: logged in, or on a device they
logged in on), dated in the hour after the data's end, as new
Parquet parts ``<table>/hour-<YYYYMMDDTHH>.parquet``. It never rewrites a file:
a table still held as one ``<table>.parquet`` is moved, bytes unchanged, to
``<table>/part-00000.parquet`` first, because the raw contract wants exactly
one form per table. CSV tables cannot take parts: they are refused.

The rows are resampled from the data itself rather than simulated again: the
hour holds as many rows as an average hour of the last ``window_days`` days
(four weeks by default: two of the demo's fortnightly campaigns, so opens and
clicks are in), drawn from that window's distinct rows (so the mix of event
types, contacts, products and currencies is the data's own), moved to a
uniform time inside the hour and given new ids. Email sends, deliveries and bounces are left out: they
happen when a campaign goes out, while opens, clicks and unsubscribes keep
arriving. The same data, hour and seed give the same rows.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HOUR = timedelta(hours=1)
# Event tables the hour adds to: the timestamp column, the id column and the prefix of new ids.
EVENT_TABLES = {
    "web_events": ("occurred_at", "event_id", "w"),
    "email_events": ("occurred_at", "event_id", "e"),
    "orders": ("ordered_at", "order_id", "O"),
}
# Written with the orders whose items they are.
TABLES = (*EVENT_TABLES, "order_items")
# Email events that only a campaign's send produces.
SEND_EVENT_TYPES = ("sent", "delivered", "bounce")


@dataclass
class AppendedHour:
    start: datetime  # the hour's start (UTC, naive)
    rows: dict[str, int]  # rows written per table
    files: dict[str, Path]  # the new part per table


def _form(raw: Path, table: str) -> tuple[str, Path]:
    """How a raw table is held: ('parts', folder), ('parquet', file) or ('csv', file)."""
    if (raw / table).is_dir():
        return "parts", raw / table
    for fmt in ("parquet", "csv"):
        if (raw / f"{table}.{fmt}").exists():
            return fmt, raw / f"{table}.{fmt}"
    raise FileNotFoundError(f"raw table {table!r} not found in {raw}")


def _reader(raw: Path, table: str) -> str:
    fmt, path = _form(raw, table)
    if fmt == "parts":
        return f"read_parquet('{path}/*.parquet', union_by_name = true)"
    if fmt == "parquet":
        return f"read_parquet('{path}')"
    return f"read_csv('{path}', header = true, all_varchar = true)"


def _ts(column: str) -> str:
    """A raw timestamp (native, or ISO text with or without an offset) as UTC."""
    return f"try_cast(cast({column} as varchar) as timestamptz)"


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    return con


def data_end(raw: Path) -> datetime:
    """The start of the hour after the latest web event (rows dated after tomorrow, dirt, are ignored)."""
    with _connect() as con:
        (latest,) = con.execute(
            f"select max({_ts('occurred_at')}) from {_reader(raw, 'web_events')} "
            f"where {_ts('occurred_at')} < now() + interval 1 day"
        ).fetchone()
    if latest is None:
        raise ValueError(f"no dated web events in {raw}")
    latest = latest.astimezone(UTC).replace(tzinfo=None)
    return latest.replace(minute=0, second=0, microsecond=0) + HOUR


def _schema(raw: Path, table: str) -> pa.Schema:
    fmt, path = _form(raw, table)
    first = path if fmt == "parquet" else sorted(path.glob("*.parquet"))[0]
    return pq.read_schema(first).remove_metadata()


def _window(con: duckdb.DuckDBPyConnection, raw: Path, table: str, start: datetime, window_days: int) -> pd.DataFrame:
    """The distinct rows of known contacts dated in the window before start, in a fixed order."""
    ts_col, _, _ = EVENT_TABLES[table]
    cols = _schema(raw, table).names
    known = {
        "email_events": "lower(trim(email)) in (select lower(trim(email)) from crm where email is not null)",
        # logged in as a known contact, or anonymous on a device a known contact logged in on
        "web_events": "(contact_id in (select contact_id from crm) "
        "or (contact_id is null and anonymous_id in (select anonymous_id from devices)))",
        "orders": "contact_id in (select contact_id from crm)",
    }[table]
    skip = (
        "and lower(trim(event_type)) not in (" + ", ".join(f"'{t}'" for t in SEND_EVENT_TYPES) + ")"
        if table == "email_events"
        else ""
    )
    columns = ", ".join(f'"{c}"' for c in cols)
    return con.execute(
        f"select distinct {columns} from {_reader(raw, table)} "
        f"where {_ts(ts_col)} >= ?::timestamptz - to_days(?) and {_ts(ts_col)} < ?::timestamptz "
        f"and {known} {skip} order by {columns}",
        [start, window_days, start],
    ).df()


def _new_times(rng: np.random.Generator, start: datetime, n: int, like: pa.DataType) -> pd.Series | np.ndarray:
    t = pd.Timestamp(start) + pd.to_timedelta(np.sort(rng.integers(0, 3600, n)), unit="s")
    if pa.types.is_timestamp(like):
        return pd.Series(t)
    return np.asarray(t.strftime("%Y-%m-%dT%H:%M:%SZ"), dtype=object)


def _as_folder(raw: Path, table: str) -> Path:
    """The table's part folder; a single Parquet file is moved (not rewritten) into it as its first part."""
    fmt, path = _form(raw, table)
    if fmt == "csv":
        raise ValueError(f"raw table {table!r} is a CSV file: new hours are added as Parquet parts only")
    if fmt == "parquet":
        folder = raw / table
        folder.mkdir()
        shutil.move(path, folder / "part-00000.parquet")
        return folder
    return path


def append_hour(
    raw: Path, start: datetime | None = None, seed: int = 42, window_days: int = 28, rate: float = 1.0
) -> AppendedHour:
    """Write one hour of new events for known contacts to raw; see the module's docstring."""
    raw = Path(raw)
    start = start or data_end(raw)
    if start.tzinfo is not None:
        start = start.astimezone(UTC).replace(tzinfo=None)
    if start != start.replace(minute=0, second=0, microsecond=0):
        raise ValueError(f"an hour starts on the hour, not at {start}")
    forms = {t: _form(raw, t)[0] for t in TABLES}
    if "csv" in forms.values():
        raise ValueError(
            f"new hours are added as Parquet parts; CSV tables: {[t for t, f in forms.items() if f == 'csv']}"
        )
    stamp = start.strftime("%Y%m%dT%H")
    name = f"hour-{stamp}.parquet"
    for t in TABLES:
        if (raw / t / name).exists():
            raise FileExistsError(f"the hour {start} was already appended to {t}")
    rng = np.random.default_rng([seed, int(start.timestamp()) // 3600])
    frames: dict[str, pd.DataFrame] = {}
    with _connect() as con:
        con.execute(f"create temp table crm as select contact_id, email from {_reader(raw, 'crm_contacts')}")
        con.execute(
            "create temp table devices as select distinct anonymous_id from "
            f"{_reader(raw, 'web_events')} where contact_id in (select contact_id from crm)"
        )
        for table, (ts_col, id_col, prefix) in EVENT_TABLES.items():
            window = _window(con, raw, table, start, window_days)
            n = min(len(window), int(rng.poisson(len(window) * rate / (window_days * 24))))
            rows = window.iloc[np.sort(rng.choice(len(window), n, replace=False))].reset_index(drop=True)
            old_ids = rows[id_col].to_numpy(dtype=object)
            rows[id_col] = [f"{prefix}h{stamp}-{i:07d}" for i in range(n)]
            rows[ts_col] = _new_times(rng, start, n, _schema(raw, table).field(ts_col).type)
            frames[table] = rows
            if table == "orders":
                new_id = pd.DataFrame({"old_id": old_ids, "order_id": rows[id_col]})
                con.register("new_orders", new_id)
                cols = _schema(raw, "order_items").names
                items = con.execute(
                    "select "
                    + ", ".join("n.order_id as order_id" if c == "order_id" else f'i."{c}"' for c in cols)
                    + f" from {_reader(raw, 'order_items')} as i join new_orders as n on i.order_id = n.old_id"
                    " order by all"
                ).df()
                frames["order_items"] = items
    files: dict[str, Path] = {}
    for table in TABLES:
        schema = _schema(raw, table)
        folder = _as_folder(raw, table)
        data = pa.Table.from_pandas(frames[table][schema.names], preserve_index=False)
        pq.write_table(data.cast(schema), folder / name)
        files[table] = folder / name
    return AppendedHour(start=start, rows={t: len(f) for t, f in frames.items()}, files=files)
