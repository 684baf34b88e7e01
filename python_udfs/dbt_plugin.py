"""dbt-duckdb plugin that registers the project's Python UDFs on dbt's connection.

Enabled in profiles.yml (``plugins: - module: python_udfs.dbt_plugin``). UDFs
exist only on dbt's own connection, so models calling them are tables.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from python_udfs.countries import normalize_countries


def _normalize_country_arrow(values: pa.Array) -> pa.Array:
    return pa.array(normalize_countries(values.to_pylist()), type=pa.string())


def ensure_directory(path: str) -> str:
    """Create a folder (and its parents) for file exports; return its absolute path."""
    folder = Path(path).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder)


class Plugin(BasePlugin):
    """Registers ``normalize_country(varchar) -> varchar`` and ``ensure_directory(varchar) -> varchar``."""

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
