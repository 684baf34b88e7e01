"""Shared fixtures: generate demo data and run dbt against it in a temp folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from generate_demo_data import GeneratorConfig, generate

PROJECT_DIR = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
# Small enough to build in seconds, large enough that every RFM segment and
# every kind of dirt appears.
E2E_CONTACTS = 2_000
E2E_END_DATE = "2026-06-01"


@dataclass
class Build:
    """A dbt build of the project on one raw folder, into its own DuckDB file."""

    raw_dir: Path
    db_path: Path
    work_dir: Path
    result: subprocess.CompletedProcess

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.query(sql)[0][0]


def run_dbt(args: list[str], raw_dir: Path, work_dir: Path, dbt_vars: dict | None = None) -> Build:
    """Run a dbt command with the project's profile, isolated in work_dir."""
    work_dir.mkdir(parents=True, exist_ok=True)
    db_path = work_dir / "warehouse.duckdb"
    env = {
        **os.environ,
        "RAW_DATA_DIR": str(raw_dir),
        "DUCKDB_PATH": str(db_path),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "MODEL_DIR": str(work_dir / "models"),
    }
    cmd = [
        str(DBT),
        *args,
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
        "--vars",
        json.dumps(dbt_vars or {}),
    ]
    result = subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)
    return Build(raw_dir=raw_dir, db_path=db_path, work_dir=work_dir, result=result)


def assert_ok(build: Build) -> Build:
    assert build.result.returncode == 0, build.result.stdout[-6000:] + build.result.stderr[-3000:]
    return build


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> tuple[Path, Path, dict]:
    """Raw data and truth from the generator, shared by every end-to-end test."""
    root = tmp_path_factory.mktemp("demo")
    raw, truth_dir = root / "raw", root / "truth"
    cfg = GeneratorConfig(contacts=E2E_CONTACTS, days=365, products=200, seed=7, end_date=E2E_END_DATE)
    generate(cfg, raw, truth_dir)
    truth = json.loads((truth_dir / "truth.json").read_text())
    return raw, truth_dir, truth


@pytest.fixture(scope="session")
def built(demo_data, tmp_path_factory) -> Build:
    """The whole project built (seeds, models, data and unit tests) on the demo data as of its end date.

    `dbt build` alone (the default selector, `make build`) leaves unit tests out:
    they check the project's logic, so CI runs them here on data whose types we control.
    """
    raw, _, _ = demo_data
    work = tmp_path_factory.mktemp("build")
    return assert_ok(run_dbt(["build", "--select", "fqn:*"], raw, work, {"as_of_date": E2E_END_DATE}))


def copy_raw(raw: Path, dest: Path) -> Path:
    shutil.copytree(raw, dest)
    return dest


def read_raw_table(raw: Path, table: str):
    """A raw table as the demo wrote it (Parquet with its types, or CSV as text), and its path."""
    path = raw / f"{table}.parquet"
    if path.exists():
        return pd.read_parquet(path), path
    path = raw / f"{table}.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False), path


def write_raw_table(frame, path: Path) -> None:
    """Write a raw table back in the format it was read from."""
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)


def raw_timestamp(frame, column: str, value):
    """A Timestamp in the column's own type: native timestamps stay native, text becomes ISO text."""
    return value if str(frame[column].dtype).startswith("datetime") else value.isoformat()
