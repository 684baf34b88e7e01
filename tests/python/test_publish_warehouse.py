"""scripts/publish_warehouse.py stamps the copy with its build's identity (main.published_build)."""

from __future__ import annotations

import json
import uuid

import duckdb
from publish_warehouse import publish


def make_source(path):
    with duckdb.connect(str(path)) as con:
        con.execute("create table main.t as select 1 as x")
    return path


def stamped(path):
    with duckdb.connect(str(path), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(
            "select build_id, strftime(built_at, '%Y-%m-%dT%H:%M:%S'), published_at is not null, dbt_version, "
            "(select count(*) from main.t) from main.published_build"
        ).fetchall()


def test_the_copy_carries_the_dbt_invocation_that_built_it(tmp_path):
    source = make_source(tmp_path / "warehouse.duckdb")
    run_results = tmp_path / "run_results.json"
    run_results.write_text(
        json.dumps(
            {
                "metadata": {
                    "invocation_id": "a1b2c3",
                    "generated_at": "2026-11-30T10:00:00.123456Z",
                    "dbt_version": "1.11.16",
                },
                "results": [],
            }
        )
    )
    target = publish(source, tmp_path / "pub" / "published.duckdb", run_results)
    assert stamped(target) == [("a1b2c3", "2026-11-30T10:00:00", True, "1.11.16", 1)]
    # the build's own file is left as it was
    with duckdb.connect(str(source), read_only=True) as con:
        assert con.execute(
            "select count(*) from information_schema.tables where table_name = 'published_build'"
        ).fetchone() == (0,)
    assert not list((tmp_path / "pub").glob(".*partial"))


def test_without_run_results_each_publish_gets_a_new_id(tmp_path):
    source = make_source(tmp_path / "warehouse.duckdb")
    target = tmp_path / "published.duckdb"
    first = stamped(publish(source, target, tmp_path / "missing.json"))[0]
    second = stamped(publish(source, target, None))[0]
    assert first[0] != second[0]
    assert uuid.UUID(first[0])
    assert first[1] is None
    assert first[3] is None
