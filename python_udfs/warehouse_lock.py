"""Explain DuckDB's "Could not set lock on file" in terms of what to do.

DuckDB lets one process write a database file and, while it writes, no other
process open it, not even read-only. A BI tool or notebook left connected to the
warehouse therefore stops `dbt build`, and a build stops readers. Used by the
dbt plugin (before dbt connects) and by the scripts that read the warehouse.
"""

from __future__ import annotations

import re

import duckdb

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "Could not set lock" in str(exc)


def lock_holder(duckdb_message: str) -> str:
    """'<program> (PID n)' when DuckDB names the process holding the lock, else 'another process'."""
    holder = _LOCK_HOLDER.search(duckdb_message)
    return f"{holder['program']} (PID {holder['pid']})" if holder else "another process"


def lock_message(path: str, duckdb_message: str, *, writing: bool = True) -> str:
    """What to tell the operator when another process holds the warehouse file."""
    who = lock_holder(duckdb_message)
    if writing:
        return (
            f"The warehouse {path} is in use by {who}, so dbt cannot write to it. "
            "DuckDB lets one process write a file and, while it writes, no other process open it, "
            "not even read-only. Close that program's connection (a BI tool, notebook or duckdb shell) "
            "and run the build again. To read while builds run, connect to the published copy instead: "
            "`make build` copies the warehouse after every successful build to DUCKDB_PUBLISHED_PATH "
            "(default data/warehouse.published.duckdb); open that one read-only. "
            "See 'Reading the warehouse while a build runs' in the README."
        )
    return (
        f"The warehouse {path} is in use by {who} (a running dbt build, or another writer), so it cannot "
        "be read now. Wait for the build to finish, or read the published copy (DUCKDB_PUBLISHED_PATH, "
        "default data/warehouse.published.duckdb) that `make build` writes after every successful build."
    )


def check_not_locked(path: str) -> str | None:
    """The lock message if another process holds the DuckDB file at path, else None (nothing is kept open)."""
    if not path or path == ":memory:" or path.startswith(("md:", "motherduck:")):
        return None
    try:
        duckdb.connect(path).close()
    except duckdb.Error as exc:
        if is_lock_error(exc):
            return lock_message(path, str(exc))
    return None  # anything else: the caller's own connect reports it
