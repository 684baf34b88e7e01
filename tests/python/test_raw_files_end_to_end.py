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


def _lines_of(path):
    return path.read_text(encoding="utf-8").split("\n")


def _output_and_log(build) -> str:
    log = build.work_dir / "logs" / "dbt.log"
    return build.result.stdout + build.result.stderr + (log.read_text(encoding="utf-8") if log.exists() else "")


def test_a_csv_line_with_an_extra_field_is_skipped_listed_and_kept_out_of_the_logs(demo_data, tmp_path):
    raw = copy_raw(demo_data[0], tmp_path / "raw")
    lines = _lines_of(raw / "crm_contacts.csv")
    email = lines[2].split(",")[1]
    lines[2] += ",an extra field"  # line 3 of the file
    (raw / "crm_contacts.csv").write_text("\n".join(lines), encoding="utf-8")
    data_lines = len([line for line in lines[1:] if line])

    build = assert_ok(run_dbt(HOOK_ONLY, raw, tmp_path / "work"))
    assert build.query("select * from raw_files.malformed_lines") == [
        ("crm_contacts", "crm_contacts.csv", 3, "too_many_fields", 8, 9)
    ]
    # every other line is read, with the header's columns (not one sniffed column)
    assert build.scalar("select count(*) from raw_files.crm_contacts") == data_lines - 1
    columns = "select count(*) from information_schema.columns where table_schema = 'raw_files' and table_name = '{}'"
    assert build.scalar(columns.format("crm_contacts")) == 8
    assert "line 3 (too_many_fields, 9 fields, expected 8)" in build.result.stdout
    assert email not in _output_and_log(build)


def test_an_unclosed_quote_stops_the_run_naming_the_line_without_its_content(demo_data, tmp_path):
    raw = copy_raw(demo_data[0], tmp_path / "raw")
    lines = _lines_of(raw / "crm_contacts.csv")
    fields = lines[2].split(",")
    email = fields[1]
    fields[1] = '"' + email  # opens a quote that never closes: the rest of the file would be one field
    lines[2] = ",".join(fields)
    (raw / "crm_contacts.csv").write_text("\n".join(lines), encoding="utf-8")

    build = run_dbt(HOOK_ONLY, raw, tmp_path / "work")
    assert build.result.returncode != 0
    assert (
        "raw file 'crm_contacts.csv' (table 'crm_contacts') has a quote that is not closed properly on line 3"
        in build.result.stdout
    )
    assert "Fix the file (or export it again from its loader) and run again." in build.result.stdout
    assert email not in _output_and_log(build)


def test_an_empty_csv_file_says_the_header_is_missing(demo_data, tmp_path):
    raw = copy_raw(demo_data[0], tmp_path / "raw")
    (raw / "campaigns.csv").write_text("", encoding="utf-8")
    build = run_dbt(HOOK_ONLY, raw, tmp_path / "work")
    assert build.result.returncode != 0
    assert "raw file 'campaigns.csv' (table 'campaigns') is empty or its first line is blank" in build.result.stdout
