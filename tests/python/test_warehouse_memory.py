"""Python models hand DuckDB's idle memory back before they hold frames, and keep the profile's limit."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pytest

from python_udfs import dbt_plugin, warehouse_memory


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
    warehouse_memory.remember_limit(None, None)


def test_release_drops_cached_blocks_and_keeps_the_limit(warehouse):
    warehouse_memory.remember_limit({"memory_limit": "1GB", "TimeZone": "UTC"}, 1)
    before, limit = _held_bytes(warehouse), _limit(warehouse)
    assert before > 96 * 2**20  # the table's blocks (about 104 MiB) are cached, above the low limit

    assert warehouse_memory.release(warehouse)

    assert _held_bytes(warehouse) < 64 * 10**6  # evicted down to the low limit (64MB)
    assert _limit(warehouse) == limit
    assert warehouse.sql("select count(*) from t").fetchall() == [(6000000,)]  # read again from the file


def test_with_more_than_one_dbt_thread_nothing_changes(warehouse):
    # another model's query may be running in the same DuckDB: the low limit could fail it
    before = _held_bytes(warehouse)

    for threads in (2, 4, None):  # None: the thread count is unknown
        warehouse_memory.remember_limit({"memory_limit": "1GB"}, threads)
        assert not warehouse_memory.release(warehouse)
    assert _held_bytes(warehouse) == before


def test_without_a_recorded_limit_nothing_changes(warehouse):
    warehouse_memory.remember_limit({"TimeZone": "UTC"}, 1)  # a profile that sets no memory limit
    before = _held_bytes(warehouse)

    assert not warehouse_memory.release(warehouse)
    assert _held_bytes(warehouse) == before
    assert not warehouse_memory.release(object())  # not a DuckDB connection


@pytest.mark.parametrize(("threads", "released"), [(1, True), (2, False)])
def test_the_plugin_records_the_profile_limit_and_dbt_threads(tmp_path, monkeypatch, threads, released):
    adapter = SimpleNamespace(config=SimpleNamespace(threads=threads))
    monkeypatch.setattr(dbt_plugin, "get_adapter_by_type", lambda adapter_type: adapter)
    creds = SimpleNamespace(
        path=str(tmp_path / "nobody_holds_it.duckdb"), settings={"memory_limit": "3GB", "TimeZone": "UTC"}
    )
    plugin = dbt_plugin.Plugin.__new__(dbt_plugin.Plugin)  # update_connection_config reads nothing the constructor sets
    plugin.update_connection_config(creds, {})
    con = duckdb.connect(config={"memory_limit": "1GB"})
    try:
        assert warehouse_memory.release(con) is released
        with duckdb.connect(config={"memory_limit": "3GB" if released else "1GB"}) as want:
            assert _limit(con) == _limit(want)
    finally:
        con.close()
        warehouse_memory.remember_limit(None, None)


def test_without_a_dbt_adapter_the_thread_count_is_unknown(monkeypatch):
    def no_adapter(adapter_type):
        raise KeyError(adapter_type)  # what dbt's factory does when no adapter of the type is registered

    monkeypatch.setattr(dbt_plugin, "get_adapter_by_type", no_adapter)
    assert dbt_plugin._dbt_threads() is None


def test_memory_duckdb_cannot_free_keeps_the_limit_and_raises_nothing():
    # an in-memory database with nowhere to spill: its table cannot leave memory, so the low limit fails
    con = duckdb.connect(config={"memory_limit": "1GB", "temp_directory": ""})
    try:
        con.execute("create table t as select range as i, md5(cast(range as varchar)) as s from range(3000000)")
        warehouse_memory.remember_limit({"memory_limit": "1GB"}, 1)
        limit = _limit(con)

        assert warehouse_memory.release(con)
        assert _limit(con) == limit
        assert con.sql("select count(*) from t").fetchall() == [(3000000,)]
    finally:
        con.close()
        warehouse_memory.remember_limit(None, None)
