"""A program holding the warehouse open: the build says who and what to do; the published copy never blocks a build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import PROJECT_DIR, assert_ok, run_dbt

from python_udfs.warehouse_lock import lock_message

HOOK_ONLY = ["seed", "--select", "rfm_segments"]
HOLD = (
    "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro'); "
    "print('open', flush=True); time.sleep(120)"
)


class Holder:
    """Another process with the DuckDB file open, as a BI tool or notebook would have it."""

    def __init__(self, path: Path, mode: str = "rw"):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), mode], stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "open"

    def __enter__(self):
        return self.proc

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def test_the_message_names_the_holder_and_what_to_do():
    duckdb_says = (
        'IO Error: Could not set lock on file "/w/x.duckdb": Conflicting lock is held in /usr/bin/python3 (PID 4242).'
    )
    message = lock_message("/w/x.duckdb", duckdb_says)
    assert "in use by /usr/bin/python3 (PID 4242)" in message
    assert "Close that program's connection" in message
    assert "DUCKDB_PUBLISHED_PATH" in message
    assert "another process" in lock_message("/w/x.duckdb", "IO Error: Could not set lock on file")


@pytest.mark.e2e
def test_a_reader_holding_the_warehouse_fails_the_build_with_its_pid_and_the_way_out(demo_data, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    duckdb.connect(str(work / "warehouse.duckdb")).close()
    with Holder(work / "warehouse.duckdb", "ro") as holder:
        build = run_dbt(HOOK_ONLY, demo_data[0], work)
    assert build.result.returncode != 0
    output = build.result.stdout + build.result.stderr
    assert f"(PID {holder.pid})" in output
    assert "connect to the published copy instead" in output


@pytest.mark.e2e
def test_readers_of_the_published_copy_never_block_a_build_or_the_next_publish(demo_data, tmp_path):
    work = tmp_path / "work"
    published = tmp_path / "published" / "warehouse.duckdb"
    env = {**os.environ, "DUCKDB_PATH": str(work / "warehouse.duckdb"), "DUCKDB_PUBLISHED_PATH": str(published)}
    publish = [sys.executable, "scripts/publish_warehouse.py"]
    assert_ok(run_dbt(HOOK_ONLY, demo_data[0], work))
    subprocess.run(publish, cwd=PROJECT_DIR, env={**env, "PYTHONPATH": str(PROJECT_DIR)}, check=True)
    with Holder(published, "ro"):
        build = assert_ok(run_dbt(HOOK_ONLY, demo_data[0], work))
        subprocess.run(publish, cwd=PROJECT_DIR, env={**env, "PYTHONPATH": str(PROJECT_DIR)}, check=True)
    with duckdb.connect(str(published), read_only=True) as con:
        assert con.execute("select count(*) from raw_files.crm_contacts").fetchall() == build.query(
            "select count(*) from raw_files.crm_contacts"
        )
