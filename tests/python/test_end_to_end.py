"""Builds the project on generated data and checks it recovers the planted truth."""

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import BUILD, E2E_END_DATE, assert_ok, contract_rows, run_dbt

pytestmark = pytest.mark.e2e

RFM_SEGMENTS = {
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New Customers",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
}


def test_identity_stitching_finds_exactly_the_planted_people(built, demo_data):
    _, _, truth = demo_data
    assert built.scalar("select count(*) from main.dim_customers") == truth["n_people"]
    by_type = dict(built.query("select customer_type, count(*) from main.dim_customers group by all"))
    assert by_type["crm_contact"] == truth["n_crm_people"]
    assert by_type["anonymous"] == truth["n_anonymous_people"]
    assert by_type["email_only"] == truth["n_guest_people"]
    assert by_type["unknown_contact"] == truth["n_ghost_people"]


def test_each_planted_person_is_one_customer_across_identifiers(built, demo_data):
    _, truth_dir, truth = demo_data
    people = pd.read_parquet(truth_dir / "people.parquet")
    ids = pd.DataFrame(
        built.query("select identifier_type, identifier_value, customer_id from intermediate.int_identities_stitched"),
        columns=["identifier_type", "identifier_value", "customer_id"],
    )
    by_contact = ids[ids.identifier_type == "contact_id"].set_index("identifier_value")["customer_id"]
    by_anon = ids[ids.identifier_type == "anonymous_id"].set_index("identifier_value")["customer_id"]
    people["customer_id"] = people["contact_id"].map(by_contact)
    assert people["customer_id"].notna().all()
    assert people["customer_id"].nunique() == len(people), "two planted people merged"
    for column in ("anonymous_id_1", "anonymous_id_2"):
        seen = people[people[column].isin(by_anon.index)]
        assert len(seen) > 0
        assert (seen[column].map(by_anon) == seen["customer_id"]).all(), f"{column} linked to the wrong person"
    shared = [by_contact[c] for c in truth["shared_email_contact_ids"]]
    assert shared[0] == shared[1], "the two CRM records sharing an email must be one person"


def test_every_raw_row_is_accounted_for(built, demo_data):
    _, _, truth = demo_data
    rows = contract_rows(
        built.query(
            "select source_table, raw_rows, accepted_rows, rejected_rows, duplicate_rows from audit.audit_row_counts"
        )
    )
    assert {r[0] for r in rows} == set(truth["raw_rows"])
    for table, raw, accepted, rejected, duplicates in rows:
        assert raw == truth["raw_rows"][table]
        assert raw == accepted + rejected + duplicates, table
    rejected = dict(built.query("select source_table, count(*) from audit.audit_rejected_rows group by all"))
    dirt = truth["dirty_rows"]
    assert rejected["orders"] == sum(v for k, v in dirt["orders"].items() if k != "duplicate")
    assert rejected["order_items"] == sum(dirt["order_items"].values())
    assert rejected["web_events"] == sum(v for k, v in dirt["web_events"].items() if k != "duplicate")
    crm_dirt = dirt["crm_contacts"]
    assert rejected["crm_contacts"] == crm_dirt["future_versions"] + crm_dirt["missing_contact_id"]
    duplicates = dict(built.query("select source_table, duplicate_rows from audit.audit_row_counts"))
    assert duplicates["crm_contacts"] == dirt["crm_contacts"]["older_versions"]
    assert duplicates["orders"] == dirt["orders"]["duplicate"]


def test_every_rfm_segment_and_lifecycle_stage_appears(built):
    segments = {r[0] for r in built.query("select distinct rfm_segment from main.fct_customer_segments")}
    assert segments >= RFM_SEGMENTS
    stages = {r[0] for r in built.query("select distinct lifecycle_stage from main.fct_customer_segments")}
    assert {"prospect", "new", "active", "at_risk", "lapsed"} <= stages


def test_usual_open_hour_recovers_planted_local_hours(built, demo_data):
    _, truth_dir, _ = demo_data
    people = pd.read_parquet(truth_dir / "people.parquet")
    got = pd.DataFrame(
        built.query(
            """
            select d.contact_id, f.usual_open_hour_local, f.emails_opened_90d
            from main.fct_customer_features as f
            inner join main.dim_customers as d on f.customer_id = d.customer_id
            where f.usual_open_hour_local is not null and f.emails_opened_90d >= 3
            """
        ),
        columns=["contact_id", "hour", "opened"],
    ).merge(people, on="contact_id")
    assert len(got) > 50
    diff = (got["hour"] - got["preferred_open_hour_local"]).abs()
    within_one_hour = ((diff <= 1) | (diff >= 23)).mean()
    assert within_one_hour > 0.7, within_one_hour


def _plant_late_rows(late):
    """Web events and orders at or after as_of_date; return the id of the existing event moved there."""
    web = pd.read_parquet(late / "web_events.parquet")
    extra = web.sample(n=500, random_state=1).assign(
        event_id=lambda d: d["event_id"] + "-late", occurred_at=pd.Timestamp(E2E_END_DATE) + pd.Timedelta(hours=3)
    )
    # an existing event moved past the cut-off
    web.loc[web.index[0], "occurred_at"] = pd.Timestamp(E2E_END_DATE)
    pd.concat([web, extra]).to_parquet(late / "web_events.parquet", index=False)
    orders = pd.read_parquet(late / "orders.parquet")
    late_orders = orders.sample(n=100, random_state=2).assign(
        order_id=lambda d: d["order_id"] + "-late", ordered_at=f"{E2E_END_DATE}T00:00:00Z"
    )
    pd.concat([orders, late_orders]).to_parquet(late / "orders.parquet", index=False)
    return web.loc[web.index[0], "event_id"]


# What the late-rows test reads: the marts it compares with the session build's, the rejected rows and every
# model and test upstream of them (not the ML models, scores and exports further down, which only read these).
LATE_ROWS_BUILD = (
    *BUILD,
    "--indirect-selection",
    "buildable",
    "--select",
    "+dim_customers",
    "+fct_customer_features",
    "+fct_customer_segments",
    "+audit_rejected_rows",
)


def test_data_after_as_of_date_changes_nothing_downstream(built, rebuild):
    """Rows dated at or after as_of_date are rejected as such and leave every mart unchanged."""
    second = rebuild("late", _plant_late_rows, args=LATE_ROWS_BUILD)
    moved = second.planted
    with duckdb.connect(str(second.db_path), read_only=True) as con:
        reasons = dict(
            con.execute(
                "select raw_key, rejection_reason from audit.audit_rejected_rows where source_table = 'web_events'"
            ).fetchall()
        )
        assert reasons.get(moved) == "after_as_of_date"
        con.execute(f"attach '{built.db_path}' as first (read_only)")
        for mart in ("dim_customers", "fct_customer_features", "fct_customer_segments"):
            columns = [r[0] for r in con.execute(f"describe main.{mart}").fetchall() if r[0] != "customer_id"]
            assert (
                con.execute(f"select count(*) from main.{mart}").fetchall()
                == con.execute(f"select count(*) from first.main.{mart}").fetchall()
            )
            # the moved event may only change that one customer's web features
            changed = con.execute(
                f"""
                select count(*) from (
                    select * from main.{mart} except select * from first.main.{mart}
                )
                """
            ).fetchall()[0][0]
            assert changed <= (1 if mart == "fct_customer_features" else 0), (mart, changed, columns[:3])


def _drop_order_status(bad):
    orders = pd.read_parquet(bad / "orders.parquet").drop(columns=["status"])
    orders.to_parquet(bad / "orders.parquet", index=False)


def test_missing_required_column_fails_early_naming_table_and_column(rebuild):
    build = rebuild("no_status", _drop_order_status, dbt_vars={}, check=False)
    assert build.result.returncode != 0
    out = build.result.stdout
    assert "table 'orders' is missing required column 'status'" in out
    assert "OK created" not in out, "no model may run before the contract check"


def test_missing_raw_table_fails_naming_it(rebuild):
    build = rebuild("no_campaigns", lambda bad: (bad / "campaigns.csv").unlink(), dbt_vars={}, check=False)
    assert build.result.returncode != 0
    assert "Raw table 'campaigns' not found" in build.result.stdout


def _empty_optional_tables(sparse):
    for path in sparse.iterdir():
        if path.stem in ("crm_contacts", "orders"):
            continue
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        path.unlink()
        frame.head(0).to_csv(sparse / f"{path.stem}.csv", index=False)


def test_empty_optional_tables_build_every_mart(rebuild):
    build = rebuild("sparse", _empty_optional_tables)
    assert build.scalar("select count(*) from main.dim_customers") > 0
    assert build.scalar("select count(*) from main.fct_customer_segments") == build.scalar(
        "select count(*) from main.dim_customers"
    )
    # orders without items earn nothing, and every order is still accounted for
    assert build.scalar("select sum(monetary_value) from main.fct_customer_features") == 0
    unaccounted = "select sum(raw_rows - accepted_rows - rejected_rows - duplicate_rows) from audit.audit_row_counts"
    assert build.scalar(unaccounted) == 0


def test_raw_schema_mode_reads_a_warehouse_schema(built, demo_data, tmp_path):
    raw, _, _ = demo_data
    work = tmp_path / "build"
    work.mkdir()
    db = work / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema landing")
        for path in Path(raw).iterdir():
            reader = f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}', all_varchar=true)"
            con.execute(f"create table landing.{path.stem} as select * from {reader}")
    dbt_vars = {"as_of_date": E2E_END_DATE, "raw_schema": "landing"}
    # what the comparison reads: the row accounting and the customers, with every model and test upstream
    select = ["--select", "+audit_row_counts", "+dim_customers", "--indirect-selection", "buildable"]
    build = assert_ok(run_dbt([*BUILD, *select], Path("/nonexistent"), work, dbt_vars))
    counts = "select * from audit.audit_row_counts order by source_table"
    assert build.query(counts) == built.query(counts)
    customers = "select count(*) from main.dim_customers"
    assert build.scalar(customers) == built.scalar(customers)
