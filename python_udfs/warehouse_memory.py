"""Give DuckDB's idle memory back to the system before a Python model holds frames of its own.

After a query, DuckDB keeps the blocks it read and the memory its allocator freed, up to its
memory limit (DUCKDB_MEMORY_LIMIT); the pandas and numpy memory of a Python model comes on
top of that, outside the limit. Lowering the limit and setting it back makes DuckDB evict
its cached blocks and hand freed memory back (a Python process at 624 MiB after two DuckDB scans
of the 1,000,000-contact warehouse was at 158 MiB 0.04 s later). The limit set back is the one the
profile gives (settings: memory_limit), which the plugin (python_udfs.dbt_plugin) records when
dbt connects, with dbt's thread count: without a limit, or with more than one dbt thread (another
model's query may then run in the same DuckDB, and the low limit would fail it), nothing is changed.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

# low enough to evict every cached block; a query still open keeps what it pins
_LOW_LIMIT = "64MB"

_limit: str | None = None


def remember_limit(settings: Mapping | None, dbt_threads: int | None) -> None:
    """Record the memory limit of the profile's settings, to set back; none when it sets none or when dbt runs
    other than one thread (dbt_threads: None when unknown)."""
    global _limit
    value = (settings or {}).get("memory_limit")
    _limit = str(value) if value and dbt_threads == 1 else None


def release(session) -> bool:
    """Have DuckDB drop its cached blocks and free memory, keeping the profile's limit; False when it did nothing."""
    if _limit is None or not hasattr(session, "execute"):
        return False
    limit = _limit.replace("'", "''")
    try:
        session.execute(f"set memory_limit = '{_LOW_LIMIT}'")
    except duckdb.Error:
        pass  # blocks a query still pins kept it above the low limit: the others went
    finally:
        session.execute(f"set memory_limit = '{limit}'")
    return True
