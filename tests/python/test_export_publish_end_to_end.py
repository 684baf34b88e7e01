"""Write, audit, publish: a failed build leaves schema exports and the export files exactly as they were.

One scenario, shared by the tests below (each step is a build on the same warehouse, a copy of the session
build's, so each step rebuilds only what it needs):
1. with nothing published yet, a passing build of the exports (`--select tag:exports`)
   publishes them (tables and csv files), and a build with --empty after it publishes nothing;
2. a person unsubscribes in the raw data, and the next build (the score_only job: everything
   the raw data reaches on the way to the exports, with the registered models) fails half way
   (a deliberately failing test on sync_esp__suppressions, in a copy of the project): the new
   exports are in exports_pending, nothing is published;
3. `dbt run` of the exports (no tests) builds them aside and publishes nothing;
4. a passing build of the exports publishes the new set: members and suppressions agree, and
   the csv files neutralise a first name that is a spreadsheet formula.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import conftest
import duckdb
import pytest
from conftest import BUILD, E2E_END_DATE, assert_ok, run_dbt

VARS = {"as_of_date": E2E_END_DATE, "export_format": "csv"}
FORMULA = "=1+2"
INJECTED_FAILURE = """-- Injected by test_export_publish_end_to_end: fails once suppressions are rebuilt.
select email from {{ ref('sync_esp__suppressions') }}
"""


def snapshot(db_path: Path) -> dict[str, list[tuple]]:
    """Every row of every published export, in a stable order."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        # views of the tables the publish renamed (macros/publish_exports.sql)
        tables = con.execute("select view_name from duckdb_views() where schema_name = 'exports'").fetchall()
        names = [r[0] for r in tables]
        return {name: sorted(con.execute(f"select * from exports.{name}").fetchall(), key=repr) for name in names}


def published_layout(db_path: Path) -> dict:
    """What schema exports holds: its tables, and each view's definition and description."""
    with duckdb.connect(str(db_path), read_only=True) as con:
        return {
            "tables": con.execute("select table_name from duckdb_tables() where schema_name = 'exports'").fetchall(),
            "views": {
                name: (sql, comment)
                for name, sql, comment in con.execute(
                    "select view_name, sql, comment from duckdb_views() where schema_name = 'exports'"
                ).fetchall()
            },
            "renamed": {
                r[0]
                for r in con.execute(
                    "select table_name from duckdb_tables() where schema_name = 'exports_pending'"
                ).fetchall()
            },
            "pending_views": {
                r[0]: r[1]
                for r in con.execute(
                    "select view_name, sql from duckdb_views() where schema_name = 'exports_pending'"
                ).fetchall()
            },
        }


def pending(db_path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def file_digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def project_with_failing_test(dest: Path) -> Path:
    """A copy of the project with one singular test that always fails."""
    ignore = shutil.ignore_patterns(".venv", ".git", "data", "target", "logs", "dbt_packages", "__pycache__")
    shutil.copytree(conftest.PROJECT_DIR, dest, ignore=ignore)
    (dest / "tests" / "assert_injected_failure.sql").write_text(INJECTED_FAILURE)
    return dest


def rename_to_formula(crm_contacts: Path, members: list[tuple]) -> str:
    """Give a member's CRM record a later version whose first name is a formula; return the email."""
    emails = sorted(r[0] for r in members)[1:]
    with crm_contacts.open(newline="") as f:
        rows = list(csv.DictReader(f))
    by_email = {row["email"].strip().lower(): row for row in rows}
    email = next(e for e in emails if e in by_email)
    row = {**by_email[email], "first_name": FORMULA, "updated_at": "2026-05-31T23:00:00+00:00"}
    with crm_contacts.open("a", newline="") as f:
        csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n").writerow(row)
    return email


@pytest.fixture(scope="module")
def scenario(demo_data, warehouse_copy, rebuild, tmp_path_factory):
    raw_a, _, _ = demo_data
    work = warehouse_copy("publish")
    files = tmp_path_factory.mktemp("publish_files")
    # the session build published its exports (without files): start from a warehouse that has none
    with duckdb.connect(str(work / "warehouse.duckdb")) as con:
        con.execute("drop schema if exists exports cascade")
        # an export published as a table by an earlier version of the project: the publish replaces it
        con.execute("create schema exports")
        published = "exports_pending.sync_esp__suppressions__published"
        con.execute(f"create table exports.sync_esp__suppressions as select * from {published}")
    exports = [*BUILD, "--select", "tag:exports"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EXPORT_DIR", str(files))
        first = assert_ok(run_dbt(exports, raw_a, work, VARS))
        after_first = snapshot(first.db_path)
        layout_first = published_layout(first.db_path)
        files_first = file_digests(files)
        # a build on empty inputs checks the project, and publishes nothing
        empty = assert_ok(run_dbt([*exports, "--empty", "--resource-type", "model"], raw_a, work, VARS))
        after_empty = (
            snapshot(empty.db_path),
            file_digests(files),
            pending(empty.db_path, "select count(*) from exports_pending.sync_mailchimp__members")[0][0],
        )

        # a contactable member unsubscribes just before as_of
        person = sorted(r[0] for r in after_first["sync_mailchimp__members"])[0]

        def unsubscribe_and_rename(raw_b: Path) -> str:
            with (raw_b / "email_subscriptions.csv").open("a") as f:
                f.write(f"{person},unsubscribed,2026-05-31T23:59:00+00:00\n")
            # another member renames themself to a spreadsheet formula
            return rename_to_formula(raw_b / "crm_contacts.csv", after_first["sync_mailchimp__members"])

        project = project_with_failing_test(tmp_path_factory.mktemp("publish_project") / "project")
        with pytest.MonkeyPatch.context() as in_copy:
            in_copy.setattr(conftest, "PROJECT_DIR", project)
            second = rebuild(
                "publish",
                unsubscribe_and_rename,
                args=["build", "--selector", "score_only"],
                dbt_vars=VARS,
                raw_name="raw_b",
                work=work,
                check=False,
            )
        raw_b, renamed = second.raw_dir, second.planted
        after_second = snapshot(work / "warehouse.duckdb")
        files_second = file_digests(files)
        pending_second = {
            key: {r[0] for r in pending(second.db_path, f"select {column} from exports_pending.{name}")}
            for key, column, name in (
                ("members", "email_address", "sync_mailchimp__members"),
                ("suppressed", "email", "sync_esp__suppressions"),
            )
        }

        run_only = assert_ok(run_dbt(["run", "--select", "tag:exports"], raw_b, work, VARS))
        after_run = snapshot(run_only.db_path)
        files_run = file_digests(files)

        third = assert_ok(run_dbt(exports, raw_b, work, VARS))
    return {
        "person": person,
        "renamed": renamed,
        "files": files,
        "first": (after_first, files_first),
        "layout": layout_first,
        "empty": (empty, after_empty),
        "second": (second, after_second, files_second, pending_second),
        "run": (run_only, after_run, files_run),
        "third": third,
    }


def test_a_passing_build_publishes_tables_and_files(scenario):
    after_first, files_first = scenario["first"]
    assert {"sync_mailchimp__members", "sync_esp__suppressions"} <= set(after_first)
    assert set(files_first) == {f"{name}.csv" for name in after_first}
    assert scenario["person"] in {r[0] for r in after_first["sync_mailchimp__members"]}
    assert all(after_first[name] for name in ("sync_mailchimp__members", "sync_esp__suppressions"))
    # published by renaming, not copying: each export is a view of exports_pending.<name>__published, with the
    # model's description; exports_pending.<name> is a view of it too until the next build makes the table
    layout = scenario["layout"]
    assert layout["tables"] == []
    for name, (sql, comment) in layout["views"].items():
        assert f"exports_pending.{name}__published" in sql.replace('"', "")
        assert comment
        assert f"{name}__published" in layout["renamed"]
        assert name not in layout["renamed"]
        assert f"exports_pending.{name}__published" in layout["pending_views"][name].replace('"', "")


def test_a_build_with_empty_inputs_publishes_nothing(scenario):
    empty, (tables, files, pending_members) = scenario["empty"]
    assert "Exports NOT published: a build with --empty" in empty.result.stdout
    assert (tables, files) == scenario["first"]
    assert pending_members == 0


def test_a_failed_build_leaves_the_published_set_exactly_as_it_was(scenario):
    after_first, files_first = scenario["first"]
    second, after_second, files_second, pending_second = scenario["second"]
    person = scenario["person"]
    assert second.result.returncode != 0
    assert "assert_injected_failure" in second.result.stdout
    assert "Exports NOT published" in second.result.stdout
    # the attempt is in exports_pending: the person is unsubscribed there ...
    assert person in pending_second["suppressed"]
    assert person not in pending_second["members"]
    # ... while every published table and file is unchanged and consistent
    assert after_second == after_first
    assert files_second == files_first
    assert person in {r[0] for r in after_second["sync_mailchimp__members"]}
    assert person not in {r[0] for r in after_second["sync_esp__suppressions"]}


def test_dbt_run_builds_exports_aside_but_publishes_nothing(scenario):
    after_first, files_first = scenario["first"]
    run_only, after_run, files_run = scenario["run"]
    assert "Exports NOT published" in run_only.result.stdout
    assert after_run == after_first
    assert files_run == files_first


def test_the_next_passing_build_publishes_the_new_consistent_set(scenario):
    third, person = scenario["third"], scenario["person"]
    members = {r[0] for r in third.query("select email_address from exports.sync_mailchimp__members")}
    suppressed = {r[0] for r in third.query("select email from exports.sync_esp__suppressions")}
    assert person not in members
    assert person in suppressed
    assert not members & suppressed
    for name in snapshot(third.db_path):  # what this build made, renamed aside by the publish
        built = f"exports_pending.{name}__published"
        assert third.query(f"select * from exports.{name} except all select * from {built}") == []
        assert third.query(f"select * from {built} except all select * from exports.{name}") == []
    with (scenario["files"] / "sync_mailchimp__members.csv").open() as f:
        assert person not in {row["email_address"] for row in csv.DictReader(f)}
    with (scenario["files"] / "sync_esp__suppressions.csv").open() as f:
        assert person in {row["email"] for row in csv.DictReader(f)}


def test_csv_files_neutralise_formulas_the_published_table_keeps(scenario):
    third, renamed = scenario["third"], scenario["renamed"]
    fname = 'select "FNAME" from exports.sync_mailchimp__members where email_address = ?'
    with duckdb.connect(str(third.db_path), read_only=True) as con:
        assert con.execute(fname, [renamed]).fetchall() == [(FORMULA,)]
    with (scenario["files"] / "sync_mailchimp__members.csv").open() as f:
        rows = {row["email_address"]: row for row in csv.DictReader(f)}
    assert rows[renamed]["FNAME"] == "'" + FORMULA
