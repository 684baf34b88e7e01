"""Hostile raw folders: stray files, two formats for one table, odd folder names.

The on-run-start hook (macros/register_raw_sources.sql) decides which file is a
raw table, so each test runs one cheap dbt command (a seed) that fires it, then
reads the view it made or the error it raised. One whole build (module
fixture) checks that hostile names and a malformed line do not stop it, and
serves the preview tests.
"""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest
from conftest import E2E_END_DATE, PROJECT_DIR, assert_ok, copy_raw, run_dbt

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


# A real person's address with an apostrophe, added to the raw data of the whole build below.
OBRIEN = "o'brien.test@example.com"
OBRIEN_CONTACT = (
    "C9999999,O'Brien.Test@Example.com,Siobhan,O'Brien,IE,Europe/Dublin,2025-01-01T10:00:00,2025-01-01T10:00:00"
)


def _plant_malformed_line_and_obrien(raw):
    """A CRM line with an extra field (its email is returned), and an o'brien contact who subscribed."""
    lines = _lines_of(raw / "crm_contacts.csv")
    malformed_email = lines[2].split(",")[1]
    lines[2] += ",an extra field"
    lines = [line for line in lines if line] + [OBRIEN_CONTACT, ""]
    (raw / "crm_contacts.csv").write_text("\n".join(lines), encoding="utf-8")
    with (raw / "email_subscriptions.csv").open("a", encoding="utf-8") as f:
        f.write(f"{OBRIEN},subscribed,2025-01-01T10:00:00\n")
    return malformed_email


@pytest.fixture(scope="module")
def hostile_build(rebuild):
    """One build with apostrophes in both folders, a malformed CSV line and an o'brien subscriber."""
    build = rebuild(
        "hostile",
        _plant_malformed_line_and_obrien,
        raw_name="o'brien data",
        env=lambda root: {"EXPORT_DIR": root / "o'brien exports"},
        dbt_vars={"as_of_date": E2E_END_DATE, "export_format": "csv"},
    )
    return build, build.work_dir.parent / "o'brien exports", build.planted


def test_folders_with_an_apostrophe_build_and_export(hostile_build):
    build, exports, _ = hostile_build
    assert build.scalar("select count(*) from raw_files.crm_contacts") > 0
    assert build.scalar("select count(*) from main.dim_customers") > 0
    assert any(exports.glob("sync_*.csv"))


def test_the_build_goes_on_past_a_malformed_line_and_accounts_for_it(hostile_build):
    build, _, malformed_email = hostile_build
    assert build.query(
        "select source_table, file_name, line_number, problem, expected_fields, found_fields"
        " from audit.audit_malformed_raw_lines"
    ) == [("crm_contacts", "crm_contacts.csv", 3, "too_many_fields", 8, 9)]
    assert build.scalar("select sum(unaccounted_rows) from audit.audit_row_counts") == 0
    assert malformed_email not in _output_and_log(build)
    # the run's summary says so too: a data test warns once per malformed line
    results = json.loads((build.work_dir / "target" / "run_results.json").read_text())["results"]
    warned = {r["unique_id"].split(".")[2]: (r["status"], r["failures"]) for r in results if r["status"] == "warn"}
    assert warned.get("no_malformed_raw_lines") == ("warn", 1)


def make_preview(build, email: str, out):
    """`make preview EMAIL=...` as a user types it (no shell between make and the value)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(out.parent), "DUCKDB_PATH": str(build.db_path)}
    return subprocess.run(
        ["make", "-o", ".venv/.installed", "preview", f"EMAIL={email}", f"PREVIEW_OUT={out}"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_preview_renders_an_address_with_an_apostrophe(hostile_build, tmp_path):
    out = tmp_path / "preview.html"
    result = make_preview(hostile_build[0], "O'Brien.Test@example.com", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Hi Siobhan," in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("payload", ["x@y.com; touch {marker}", "x@y.com$(touch {marker})", "$(shell touch {marker})"])
def test_make_preview_never_runs_an_address_as_a_command(hostile_build, tmp_path, payload):
    marker = tmp_path / "INJECTED"
    result = make_preview(hostile_build[0], payload.format(marker=marker), tmp_path / "preview.html")
    assert not marker.exists()
    assert result.returncode != 0
    assert "no contactable member" in result.stderr


def test_a_csv_without_its_header_or_a_column_fails_naming_them_without_the_first_row(demo_data, tmp_path):
    raw = copy_raw(demo_data[0], tmp_path / "raw")
    lines = _lines_of(raw / "crm_contacts.csv")
    first_email = lines[1].split(",")[1]
    (raw / "crm_contacts.csv").write_text("\n".join(lines[1:]), encoding="utf-8")  # the header line is gone
    pd.read_csv(raw / "campaigns.csv", dtype=str).drop(columns=["name"]).to_csv(raw / "campaigns.csv", index=False)

    build = run_dbt(HOOK_ONLY, raw, tmp_path / "work")
    assert build.result.returncode != 0
    assert "line 1 of crm_contacts.csv holds none of the required columns" in build.result.stdout
    assert "is its header line missing?" in build.result.stdout
    assert "table 'campaigns' is missing required column 'name'" in build.result.stdout
    # the first row became the "header": it must not reach the log through the view's DDL
    assert first_email not in _output_and_log(build)
