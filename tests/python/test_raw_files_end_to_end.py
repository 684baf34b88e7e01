"""Hostile raw folders: stray files, two formats for one table, odd folder names.

The on-run-start hook (macros/register_raw_sources.sql) decides which file is a
raw table, so each test runs one cheap dbt command (a seed) that fires it, then
reads the view it made or the error it raised.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import E2E_END_DATE, assert_ok, copy_raw, run_dbt

pytestmark = pytest.mark.e2e

HOOK_ONLY = ["seed", "--select", "rfm_segments"]


def test_a_stray_old_csv_beside_the_table_is_ignored(demo_data, tmp_path):
    raw = copy_raw(demo_data[0], tmp_path / "raw")
    contacts = pd.read_csv(raw / "crm_contacts.csv", dtype=str)
    # Sorts before crm_contacts.csv in descending order and breaks the contract:
    # read by mistake, it would fail the run or replace the contacts.
    pd.DataFrame({"contact_id": ["stale"], "email": ["old@example.com"]}).to_csv(
        raw / "crm_contacts.old.csv", index=False
    )
    build = assert_ok(run_dbt(HOOK_ONLY, raw, tmp_path / "work"))
    assert build.scalar("select count(*) from raw_files.crm_contacts") == len(contacts)
    assert build.scalar("select count(*) from raw_files.crm_contacts where contact_id = 'stale'") == 0


def test_both_csv_and_parquet_for_one_table_fail_naming_both(demo_data, tmp_path):
    raw = copy_raw(demo_data[0], tmp_path / "raw")
    pd.read_csv(raw / "crm_contacts.csv", dtype=str).to_parquet(raw / "crm_contacts.parquet", index=False)
    build = run_dbt(HOOK_ONLY, raw, tmp_path / "work")
    assert build.result.returncode != 0
    output = build.result.stdout + build.result.stderr
    assert "Raw table 'crm_contacts' is ambiguous: found both crm_contacts.csv and crm_contacts.parquet" in output


def test_a_table_may_be_a_folder_of_parquet_parts(demo_data, tmp_path):
    raw = copy_raw(demo_data[0], tmp_path / "raw")
    orders = pd.read_parquet(raw / "orders.parquet")
    (raw / "orders.parquet").unlink()
    parts = raw / "orders"
    parts.mkdir()
    half = len(orders) // 2
    orders.iloc[:half].to_parquet(parts / "part-0.parquet", index=False)
    orders.iloc[half:].to_parquet(parts / "part-1.parquet", index=False)
    build = assert_ok(run_dbt(HOOK_ONLY, raw, tmp_path / "work"))
    assert build.scalar("select count(*) from raw_files.orders") == len(orders)


@pytest.mark.parametrize("table", ["crm_contacts", "orders"])
def test_a_header_only_required_table_fails_early(demo_data, tmp_path, table):
    raw = copy_raw(demo_data[0], tmp_path / "raw")
    if table == "crm_contacts":
        header = pd.read_csv(raw / "crm_contacts.csv", dtype=str).head(0)
        header.to_csv(raw / "crm_contacts.csv", index=False)
    else:
        pd.read_parquet(raw / "orders.parquet").head(0).to_parquet(raw / "orders.parquet", index=False)
    build = run_dbt(HOOK_ONLY, raw, tmp_path / "work")
    assert build.result.returncode != 0
    output = build.result.stdout + build.result.stderr
    assert f"table '{table}' has no rows (only crm_contacts and orders must not be empty)" in output


def test_folders_with_an_apostrophe_build_and_export(demo_data, tmp_path, monkeypatch):
    raw = copy_raw(demo_data[0], tmp_path / "o'brien data")
    exports = tmp_path / "o'brien exports"
    monkeypatch.setenv("EXPORT_DIR", str(exports))
    dbt_vars = {"as_of_date": E2E_END_DATE, "export_format": "csv"}
    build = assert_ok(run_dbt(["build", "--exclude-resource-type", "unit_test"], raw, tmp_path / "work", dbt_vars))
    assert build.scalar("select count(*) from raw_files.crm_contacts") > 0
    assert build.scalar("select count(*) from main.dim_customers") > 0
    assert any(exports.glob("sync_*.csv"))
