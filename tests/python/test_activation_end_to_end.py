"""Activation and exports on generated data: send times, triggers, consent, erasure, change tracking, files."""

import hashlib

import pandas as pd
import pytest
from conftest import E2E_END_DATE, assert_ok, first_exported_person, run_dbt

pytestmark = pytest.mark.e2e

SCANNED_SCHEMAS = ("main", "exports", "audit")


def test_send_times_recover_planted_local_hours(built, demo_data):
    _, truth_dir, _ = demo_data
    people = pd.read_parquet(truth_dir / "people.parquet")
    got = pd.DataFrame(
        built.query(
            """
            select d.contact_id, s.best_hour_local, s.source
            from main.fct_send_times as s
            inner join main.dim_customers as d on s.customer_id = d.customer_id
            where s.best_hour_local is not null
            """
        ),
        columns=["contact_id", "hour", "source"],
    ).merge(people, on="contact_id")
    diff = (got["hour"] - got["preferred_open_hour_local"]).abs()
    close = (diff <= 1) | (diff >= 23)
    own = got["source"] == "own"
    assert own.sum() > 100
    assert close[own].mean() > 0.8, close[own].mean()
    # little history: smoothed toward the group, still far better than chance (3/24)
    assert close[~own].mean() > 0.3


def test_trigger_caps_and_cooldowns_hold_in_the_data(built):
    per_day = built.scalar(
        """
        select max(n) from (
            select count(*) as n from main.fct_trigger_audiences
            group by customer_id, cast(triggered_at as date)
        )
        """
    )
    per_week = built.scalar(
        """
        select max(n) from (
            select count(*) as n from main.fct_trigger_audiences
            group by customer_id, date_trunc('week', triggered_at)
        )
        """
    )
    assert per_day <= 1
    assert per_week <= 3
    too_close = built.scalar(
        """
        select count(*) from (
            select
                a.triggered_at - lag(a.triggered_at) over (
                    partition by a.customer_id, a.trigger_type order by a.triggered_at
                ) as gap,
                to_days(r.cooldown_days) as cooldown
            from main.fct_trigger_audiences as a
            inner join seeds.trigger_rules as r on a.trigger_type = r.trigger_type
        ) where gap < cooldown
        """
    )
    assert too_close == 0
    types = {r[0] for r in built.query("select distinct trigger_type from main.fct_trigger_audiences")}
    assert types == {"welcome", "cart_abandonment", "browse_abandonment", "post_purchase_cross_sell", "win_back"}


def test_unsubscribed_people_from_the_raw_data_are_suppressed_everywhere(built, demo_data):
    raw, _, _ = demo_data
    events = pd.read_parquet(raw / "email_events.parquet")
    unsubscribed = set(
        events.loc[events["event_type"].isin(["unsubscribe", "spam_report"]), "email"].str.strip().str.lower()
    )
    unsubscribed = {e for e in unsubscribed if "@" in e}  # the dirt rows with invalid emails are rejected
    assert unsubscribed
    members = {r[0] for r in built.query("select email_address from exports.sync_mailchimp__members")}
    suppressed = {r[0] for r in built.query("select email from exports.sync_esp__suppressions")}
    assert not (unsubscribed & members)
    assert unsubscribed <= suppressed  # every one of them is on the suppression list


def _person_identifiers(built, email: str) -> set[str]:
    rows = built.query(
        f"""
        select identifier_value, customer_id
        from intermediate.int_identities_stitched
        where customer_id = (
            select customer_id from intermediate.int_identities_stitched where identifier_value = '{email}'
        )
        """
    )
    return {r[0] for r in rows} | {rows[0][1]}


def test_an_erasure_request_removes_the_person_from_every_mart_and_export(built, demo_data, erasure_request_build):
    _, truth_dir, _ = demo_data
    # the first exported person asked to be erased (in a build shared with the API's erasure: see conftest)
    person = first_exported_person(built, truth_dir)
    identifiers = _person_identifiers(built, person["email"])
    assert len(identifiers) >= 3  # contact id, email, devices, customer id
    erased = erasure_request_build
    sha = hashlib.sha256(person["email"].encode()).hexdigest()
    assert sha in erased.result.args[erased.result.args.index("--vars") + 1], "the build erases this person"
    values = ", ".join(f"'{v}'" for v in identifiers)
    found = []
    tables = erased.query(
        f"""
        select table_schema, table_name, column_name
        from information_schema.columns
        where table_schema in {SCANNED_SCHEMAS} and data_type = 'VARCHAR'
        """
    )
    for schema, table, column in tables:
        hits = erased.scalar(
            f"""select count(*) from {schema}.{table}
            where "{column}" in ({values}) or "{column}" like '%{person["email"]}%'"""
        )
        if not hits:
            continue
        if (table, column) == ("sync_esp__deletions", "external_id"):
            # the deletion feed must name the ESP profile to delete (Braze's external_id): only there, only to delete
            actions = erased.query(f"select distinct sync_action from {schema}.{table} where external_id in ({values})")
            assert actions == [("delete",)]
            continue
        found.append(f"{schema}.{table}.{column}: {hits}")
    assert not found
    # and the same scan finds the person in the build without the request
    assert built.scalar(f"select count(*) from exports.sync_mailchimp__members where email_address in ({values})") == 1


# Exports are published to schema exports only by a passing `dbt build` (write, audit, publish)
BUILD_EXPORTS = ["build", "--exclude-resource-type", "unit_test", "--select", "tag:exports"]


def test_updated_at_moves_only_for_rows_whose_content_changed(built, warehouse_copy):
    work = warehouse_copy()
    before = assert_ok(run_dbt(BUILD_EXPORTS, built.raw_dir, work, {"as_of_date": E2E_END_DATE}))
    stamps = dict(before.query("select email_address, updated_at from exports.sync_mailchimp__members"))
    target = sorted(stamps)[0]
    with __import__("duckdb").connect(str(work / "warehouse.duckdb")) as con:
        con.execute(f"update main.fct_customer_personalization set first_name = 'Renamed' where email = '{target}'")
    after = assert_ok(run_dbt(BUILD_EXPORTS, built.raw_dir, work, {"as_of_date": E2E_END_DATE}))
    new = dict(after.query("select email_address, updated_at from exports.sync_mailchimp__members"))
    changed = {email for email in stamps if new[email] != stamps[email]}
    assert changed == {target}
    assert after.scalar(
        f"""select "FNAME" from exports.sync_mailchimp__members where email_address = '{target}'"""
    ) == ("Renamed")
    # a model whose content did not change keeps every timestamp
    assert after.query("select email, updated_at from exports.sync_esp__suppressions order by 1") == before.query(
        "select email, updated_at from exports.sync_esp__suppressions order by 1"
    )
    # the rows kept their hash without hashing again (their content equals the previous row's): every hash, kept
    # or made, is still the md5 of the row's content as JSON
    for table in ("sync_mailchimp__members", "sync_esp__suppressions", "sync_braze__users"):
        listed = after.query(
            "select column_name from information_schema.columns "
            f"where table_schema = 'exports' and table_name = '{table}' order by ordinal_position"
        )
        content = ", ".join(f'"{c}" := "{c}"' for (c,) in listed if c not in ("row_hash", "updated_at"))
        assert after.scalar(f"select count(*) from exports.{table}") > 0
        made = f"md5(cast(to_json(struct_pack({content})) as varchar))"
        assert after.scalar(f"select count(*) from exports.{table} where row_hash != {made}") == 0, table
    assert "is not distinct from" in next((work / "target" / "run").rglob("sync_mailchimp__members.sql")).read_text()


def test_exports_can_be_written_as_files_for_bulk_import(built, warehouse_copy, monkeypatch):
    work = warehouse_copy()
    out = work / "files"
    monkeypatch.setenv("EXPORT_DIR", str(out))
    run = assert_ok(
        run_dbt(
            [
                "build",
                "--exclude-resource-type",
                "unit_test",
                "--select",
                "sync_esp__suppressions",
                "sync_mailchimp__members",
            ],
            built.raw_dir,
            work,
            {"as_of_date": E2E_END_DATE, "export_format": "csv"},
        )
    )
    members = pd.read_csv(out / "sync_mailchimp__members.csv")
    assert len(members) == run.scalar("select count(*) from exports.sync_mailchimp__members")
    assert {"FNAME", "REC1NAME", "row_hash", "updated_at"} <= set(members.columns)
    assert (out / "sync_esp__suppressions.csv").exists()


def test_preview_renders_real_members_with_and_without_data(built):
    from preview_email import member_fields

    from python_udfs.email_preview import load_template, render

    full = built.query(
        """select email_address from exports.sync_mailchimp__members
        where "TOPCAT" != 'Bestsellers' and "REC3NAME" is not null limit 1"""
    )[0][0]
    html = render(load_template(), member_fields(str(built.db_path), full))
    fields = member_fields(str(built.db_path), full)
    assert "*|" not in html
    assert fields["REC1NAME"] in html
    assert fields["TOPCAT"] in html
    empty = dict.fromkeys(fields)
    html = render(load_template(), empty)
    assert "*|" not in html
    assert "Hi there," in html
    assert "See our bestsellers" in html
