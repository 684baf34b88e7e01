"""dbt-duckdb plugin that registers the project's Python UDFs on dbt's connection.

Enabled in profiles.yml (``plugins: - module: python_udfs.dbt_plugin``). UDFs
exist only on dbt's own connection, so models calling them are tables.
Other engines have none of them: there base_crm__contacts joins the seeds
scripts/generate_lookup_seeds.py writes from the same pycountry data instead of
calling ``normalize_country`` (macros/cross_db/country_code_lookup.sql).

Before dbt opens the warehouse, the plugin checks that no other process holds
it: DuckDB allows one writer and, while it writes, no reader, so a BI tool or
notebook left open on the file stops the build. The error then says which
process holds it and what to do, instead of DuckDB's bare "Could not set lock".
It also records the profile's memory limit for python_udfs.warehouse_memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.factory import get_adapter_by_type
from dbt_common.exceptions import DbtRuntimeError
from duckdb import DuckDBPyConnection

from python_udfs.countries import normalize_countries
from python_udfs.raw_csv import inspect_csv_json
from python_udfs.warehouse_lock import check_not_locked
from python_udfs.warehouse_memory import remember_limit


def _dbt_threads() -> int | None:
    """The threads this dbt run uses (the profile's, or --threads), from its adapter; None when unknown."""
    try:
        return int(get_adapter_by_type("duckdb").config.threads)
    except Exception:  # no adapter registered (the plugin used outside dbt): unknown
        return None


def _normalize_country_arrow(values: pa.Array) -> pa.Array:
    return pa.array(normalize_countries(values.to_pylist()), type=pa.string())


def ensure_directory(path: str) -> str:
    """Create a folder (and its parents) for file exports; return its absolute path."""
    folder = Path(path).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


class Plugin(BasePlugin):
    """Registers ``normalize_country``, ``ensure_directory`` and ``raw_csv_inspect`` (all varchar -> varchar)."""

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        # called just before dbt-duckdb connects: the one place to explain a lock, and to learn the memory limit
        # that python_udfs.warehouse_memory.release sets back
        remember_limit(getattr(creds, "settings", None), _dbt_threads())
        message = check_not_locked(str(getattr(creds, "path", "") or ""))
        if message:
            raise DbtRuntimeError(message)

    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        conn.create_function(
            "normalize_country",
            _normalize_country_arrow,
            ["VARCHAR"],
            "VARCHAR",
            type="arrow",
            null_handling="special",
            side_effects=False,
        )
        conn.create_function("ensure_directory", ensure_directory, ["VARCHAR"], "VARCHAR", side_effects=True)
        conn.create_function("raw_csv_inspect", inspect_csv_json, ["VARCHAR"], "VARCHAR", side_effects=True)
