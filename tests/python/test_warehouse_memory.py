"""Python models hand DuckDB's idle memory back before they hold frames, and keep the profile's limit."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pytest

from python_udfs import warehouse_memory
from python_udfs.dbt_plugin import Plugin


def _held_bytes(con) -> int:
    return con.sql("select sum(memory_usage_bytes) from duckdb_memory()").fetchall()[0][0]


def _limit(con) -> str:
    return con.sql("select current_setting('memory_limit')").fetchall()[0][0]


@pytest.fixture
def warehouse(tmp_path):
    """A file warehouse at a 1 GB limit holding a table read once, so its blocks sit in DuckDB's buffer."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"), config={"memory_limit": "1GB"})
    con.execute("create table t as select range as i, md5(cast(range as varchar)) as s from range(6000000)")
    con.execute("checkpoint")
    con.sql("select count(distinct s), sum(i) from t").fetchall()
    yield con
    con.close()
    warehouse_memory.remember_limit(None)


def test_release_drops_cached_blocks_and_keeps_the_limit(warehouse):
    warehouse_memory.remember_limit({"memory_limit": "1GB", "TimeZone": "UTC"})
    before, limit = _held_bytes(warehouse), _limit(warehouse)
    assert before > 96 * 2**20  # the table's blocks (about 104 MiB) are cached, above the low limit

    assert warehouse_memory.release(warehouse)

    assert _held_bytes(warehouse) < 64 * 10**6  # evicted down to the low limit (64MB)
    assert _limit(warehouse) == limit
    assert warehouse.sql("select count(*) from t").fetchall() == [(6000000,)]  # read again from the file


def test_without_a_recorded_limit_nothing_changes(warehouse):
    warehouse_memory.remember_limit({"TimeZone": "UTC"})  # a profile that sets no memory limit
    before = _held_bytes(warehouse)

    assert not warehouse_memory.release(warehouse)
    assert _held_bytes(warehouse) == before
    assert not warehouse_memory.release(object())  # not a DuckDB connection


def test_the_plugin_records_the_profile_limit(tmp_path):
    creds = SimpleNamespace(
        path=str(tmp_path / "nobody_holds_it.duckdb"), settings={"memory_limit": "3GB", "TimeZone": "UTC"}
    )
    plugin = Plugin.__new__(Plugin)  # update_connection_config reads nothing the constructor sets
    plugin.update_connection_config(creds, {})
    con = duckdb.connect(config={"memory_limit": "1GB"})
    try:
        assert warehouse_memory.release(con)
        assert (
            _limit(con)
            == duckdb.connect(config={"memory_limit": "3GB"})
            .sql("select current_setting('memory_limit')")
            .fetchall()[0][0]
        )
    finally:
        con.close()
        warehouse_memory.remember_limit(None)


def test_memory_duckdb_cannot_free_keeps_the_limit_and_raises_nothing():
    # an in-memory database with nowhere to spill: its table cannot leave memory, so the low limit fails
    con = duckdb.connect(config={"memory_limit": "1GB", "temp_directory": ""})
    try:
        con.execute("create table t as select range as i, md5(cast(range as varchar)) as s from range(3000000)")
        warehouse_memory.remember_limit({"memory_limit": "1GB"})
        limit = _limit(con)

        assert warehouse_memory.release(con)
        assert _limit(con) == limit
        assert con.sql("select count(*) from t").fetchall() == [(3000000,)]
    finally:
        con.close()
        warehouse_memory.remember_limit(None)
