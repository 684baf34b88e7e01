"""A user's own Parquet files: native types instead of the demo's strings, built by `make build`.

The demo raw tables are rewritten as a warehouse export would land them: native
TIMESTAMP and TIMESTAMPTZ columns, Unix epoch BIGINT times (email events in
seconds, web events in milliseconds), BIGINT ids, a native boolean, DECIMAL money,
optional columns that are entirely null (Parquet type NULL) and optional tables
with no rows. The same people, orders and events are in them, so the build must
account for the same raw rows as the CSV demo.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import E2E_END_DATE, PROJECT_DIR, contract_rows, dbt_env

pytestmark = pytest.mark.e2e

# Each id space maps its strings (including dirty ones such as 'O123-S') one to
# one onto BIGINTs, so joins, duplicates and unknown ids survive the conversion.
ID_SPACES = {
    "contact": (1_000_000, [("crm_contacts", "contact_id"), ("orders", "contact_id"), ("web_events", "contact_id")]),
    "order": (2_000_000, [("orders", "order_id"), ("order_items", "order_id")]),
    "product": (3_000_000, [("products", "product_id"), ("order_items", "product_id"), ("web_events", "product_id")]),
    "web_event": (4_000_000, [("web_events", "event_id")]),
    "email_event": (5_000_000, [("email_events", "event_id")]),
}
TS_UTC = "timezone('UTC', try_cast({0} as timestamptz))"  # native TIMESTAMP (UTC, no zone)
TS_TZ = "try_cast({0} as timestamptz)"  # native TIMESTAMP WITH TIME ZONE
# Unix epoch integers (BIGINT), as many warehouse exports write times; the
# original text is kept in an extra column (the contract ignores extra columns)
# so the test can check each parsed time.
EPOCH_S = "try_cast(epoch(try_cast({0} as timestamptz)) as bigint)"
EPOCH_MS = "try_cast(epoch_ms(try_cast({0} as timestamptz)) as bigint)"
# The select list of each table, over the CSV/Parquet as generated (strings,
# `<space>_id(x)` maps an id). Empty tables keep their declared columns.
TYPED = {
    "crm_contacts": f"""
        contact_id(contact_id) as contact_id, email,
        null as first_name, null as last_name, null as country, null as timezone,
        {TS_TZ.format("created_at")} as created_at, {TS_UTC.format("updated_at")} as updated_at""",
    "products": """
        product_id(product_id) as product_id, name, category, null as brand,
        cast(price as decimal(18, 2)) as price, currency, null as url, null as image_url,
        cast(is_active as boolean) as is_active""",
    "orders": f"""
        order_id(order_id) as order_id, contact_id(contact_id) as contact_id, email,
        {TS_TZ.format("ordered_at")} as ordered_at, status, currency""",
    "order_items": """
        order_id(order_id) as order_id, product_id(product_id) as product_id,
        cast(quantity as integer) as quantity, cast(unit_price as decimal(18, 2)) as unit_price""",
    "web_events": f"""
        web_event_id(event_id) as event_id, anonymous_id, contact_id(contact_id) as contact_id, email,
        event_type, product_id(product_id) as product_id, {EPOCH_MS.format("occurred_at")} as occurred_at,
        occurred_at as occurred_at_text""",
    "email_events": f"""
        email_event_id(event_id) as event_id, email, campaign_id, event_type,
        {EPOCH_S.format("occurred_at")} as occurred_at, occurred_at as occurred_at_text,
        regexp_replace(url, '/p/[^?]+', '/p/' || cast(product_id(regexp_extract(url, '/p/([^?]+)', 1)) as varchar))
            as url""",
    "email_subscriptions": f"email, status, {TS_UTC.format('updated_at')} as updated_at",
    # optional tables delivered empty: one with typed columns, one all NULL-typed
    # (what pandas writes for an empty frame)
    "campaigns": f"campaign_id, name, campaign_type, {TS_TZ.format('sent_at')} as sent_at",
    "experiment_assignments": """
        null as experiment_id, null as contact_id, null as email, null as variant, null as assigned_at""",
}
EMPTY = {"campaigns", "experiment_assignments"}


def _reader(raw: Path, table: str) -> str:
    parquet, csv = raw / f"{table}.parquet", raw / f"{table}.csv"
    if parquet.exists():
        return f"read_parquet('{parquet}')"
    return f"read_csv('{csv}', header = true, all_varchar = true)"


def write_typed_parquet(raw: Path, dest: Path) -> None:
    """Rewrite every raw table of `raw` as Parquet with native types into `dest`."""
    dest.mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        for space, (offset, columns) in ID_SPACES.items():
            union = " union ".join(
                f"select cast({column} as varchar) as id from {_reader(raw, table)}" for table, column in columns
            )
            con.execute(
                f"create temp table {space}_ids as "
                f"select distinct id, {offset} + dense_rank() over (order by id) as n "
                f"from ({union}) where id is not null"
            )
            con.execute(f"set variable {space}_ids = (select map(list(id), list(n)) from {space}_ids)")
            con.execute(f"create macro {space}_id(x) as getvariable('{space}_ids')[cast(x as varchar)]")
        for table, select_list in TYPED.items():
            limit = " limit 0" if table in EMPTY else ""
            con.execute(
                f"copy (select {select_list} from {_reader(raw, table)}{limit}) "
                f"to '{dest / table}.parquet' (format parquet)"
            )


def make_build(raw: Path, work: Path, dbt_vars: dict) -> subprocess.CompletedProcess:
    """Run `make build` itself (so the test proves the user's command), isolated in work."""
    venv = Path(sys.executable).parent.parent
    env = dbt_env(
        raw,
        work,
        DBT_TARGET_PATH=str(work / "target"),
        DBT_LOG_PATH=str(work / "logs"),
        DBT_VARS=json.dumps(dbt_vars),
    )
    # VENV points make at this interpreter's environment; -o: never re-run setup from a test
    cmd = ["make", "--no-print-directory", "-o", f"{venv}/.installed", f"VENV={venv}", "build"]
    return subprocess.run(cmd, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def parquet_build(demo_data, tmp_path_factory) -> tuple[Path, Path, dict]:
    """The demo raw data as typed Parquet, built by `make build` as of the demo's end date."""
    raw, _, truth = demo_data
    root = tmp_path_factory.mktemp("parquet")
    write_typed_parquet(raw, root / "raw")
    result = make_build(root / "raw", root, {"as_of_date": E2E_END_DATE})
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    return root, root / "warehouse.duckdb", truth


def test_the_raw_files_have_the_native_types_under_test(parquet_build):
    root, _, _ = parquet_build
    with duckdb.connect() as con:

        def types(table: str) -> dict[str, str]:
            rows = con.execute(f"describe select * from read_parquet('{root / 'raw' / table}.parquet')").fetchall()
            return {row[0]: row[1] for row in rows}

        null = '"NULL"'
        contacts = types("crm_contacts")
        assert contacts["contact_id"] == "BIGINT"
        assert contacts["created_at"] == "TIMESTAMP WITH TIME ZONE"
        assert contacts["updated_at"] == "TIMESTAMP"
        assert {contacts[c] for c in ("first_name", "last_name", "country", "timezone")} == {null}
        products = types("products")
        assert products["is_active"] == "BOOLEAN"
        assert {products[c] for c in ("brand", "url", "image_url")} == {null}
        assert types("web_events")["event_id"] == types("email_events")["event_id"] == "BIGINT"
        assert types("orders")["ordered_at"] == "TIMESTAMP WITH TIME ZONE"
        assert types("email_events")["occurred_at"] == types("web_events")["occurred_at"] == "BIGINT"
        assert set(types("experiment_assignments").values()) == {null}
        for table in EMPTY:
            assert con.execute(f"select count(*) from read_parquet('{root / 'raw' / table}.parquet')").fetchall() == [
                (0,)
            ]


def test_make_build_runs_every_data_test_and_no_unit_test(parquet_build):
    root, _, _ = parquet_build
    manifest = json.loads((root / "target" / "manifest.json").read_text())
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"]: r["status"] for r in results}
    assert not any(uid.startswith("unit_test.") for uid in status)
    data_tests = {uid for uid, node in manifest["nodes"].items() if node["resource_type"] == "test"}
    models = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["config"]["materialized"] != "ephemeral"
    }
    assert len(data_tests) > 100
    assert len(models) > 50
    # every data test passes, the rejected-share warning included: healthy data raises no warning
    assert {status.get(uid) for uid in data_tests} == {"pass"}
    assert status["test.email_personalization.assert_rejected_share_is_usual"] == "pass"
    assert {status.get(uid) for uid in models} == {"success"}


def test_marts_are_built_and_every_raw_row_is_accounted_for(parquet_build):
    _, db, truth = parquet_build
    with duckdb.connect(str(db), read_only=True) as con:

        def scalar(sql: str):
            return con.execute(sql).fetchall()[0][0]

        # the same people are found as from the CSV demo
        assert scalar("select count(*) from main.dim_customers") == truth["n_people"]
        for mart in (
            "main.fct_customer_segments",
            "main.fct_customer_recommendations",
            "exports.sync_mailchimp__members",
        ):
            assert scalar(f"select count(*) from {mart}") > 0, mart
        counts = (
            "select source_table, raw_rows, accepted_rows, rejected_rows, duplicate_rows from audit.audit_row_counts"
        )
        rows = contract_rows(con.execute(counts).fetchall())
        assert {row[0] for row in rows} == set(truth["raw_rows"])
        for table, raw_rows, accepted, rejected, duplicates in rows:
            assert raw_rows == (0 if table in EMPTY else truth["raw_rows"][table]), table
            assert raw_rows == accepted + rejected + duplicates, table
        # integer ids arrive as text; all-null optional columns stay null; booleans keep their value
        assert scalar("select count(*) from staging.stg_crm__contacts where contact_id like '1%'") > 0
        assert scalar("select count(*) from staging.stg_crm__contacts where first_name is not null") == 0
        assert scalar("select count(*) from staging.stg_shop__products where brand is not null") == 0
        assert scalar("select count(*) from staging.stg_shop__products where not is_active") > 0


@pytest.mark.parametrize(
    ("table", "model", "magnitude"),
    [("email_events", "stg_esp__email_events", 1e9), ("web_events", "stg_web__events", 1e12)],
)
def test_epoch_integer_times_are_read_with_their_unit(parquet_build, table, model, magnitude):
    """Epoch seconds (email events) and milliseconds (web events) parse to the time the text said."""
    root, db, _ = parquet_build
    raw = root / "raw" / f"{table}.parquet"
    with duckdb.connect(str(db), read_only=True) as con:

        def scalar(sql: str):
            return con.execute(sql).fetchall()[0][0]

        con.execute("set TimeZone = 'UTC'")
        con.execute(
            f"""create temp view raw_times as select cast(event_id as varchar) as event_id, occurred_at,
            timezone('UTC', try_cast(cast(occurred_at_text as varchar) as timestamptz)) as expected
            from read_parquet('{raw}')"""
        )
        # the integers are in the unit under test
        assert magnitude <= scalar("select median(occurred_at) from raw_times") < magnitude * 10
        accepted = scalar(f"select count(*) from staging.{model}")
        assert accepted > 1000
        # every accepted event has exactly the time its ISO text said (to the millisecond)
        wrong = scalar(
            f"""select count(*) from staging.{model} as staged
            inner join raw_times on staged.event_id = raw_times.event_id
            where date_trunc('millisecond', staged.occurred_at) != date_trunc('millisecond', raw_times.expected)"""
        )
        assert wrong == 0
        # none whose text was readable is rejected as unparseable
        unparseable = scalar(
            f"""select count(*) from audit.audit_rejected_rows as rejected
            inner join raw_times on json_extract_string(rejected.raw_record, '$.event_id') = raw_times.event_id
            where rejected.source_table = '{table}' and rejected.rejection_reason = 'unparseable_occurred_at'
                and raw_times.expected is not null and isfinite(raw_times.expected)
                and raw_times.expected >= timestamp '1973-03-04'"""
        )
        assert unparseable == 0
