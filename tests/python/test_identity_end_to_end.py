"""Shared identifiers are quarantined and conflicting duplicates rejected, end to end.

Real loaders write one id for many people: a shop's default contact id
('C-GUEST') on 80 guest orders from 70 emails, a kiosk's device id logged into
by 44 shoppers. Before the quarantine every guest order landed on the person of
the earliest email seen with 'C-GUEST', and every anonymous visit on the kiosk
on its first login. And one order id twice, same time, another contact and
status, was settled by a hash. One build of the demo data plus those rows,
against one build of the demo data alone: nobody else's orders or segment move.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from conftest import E2E_END_DATE, assert_ok, copy_raw, raw_timestamp, read_raw_table, run_dbt, write_raw_table

pytestmark = pytest.mark.e2e

GUEST_ORDERS = 80
GUEST_EMAILS = 70
UNNAMED_GUEST_ORDERS = 2
KIOSK_LOGINS = 44
SELECT = [
    "+fct_customer_segments",
    "+dim_customers",
    "+int_web_events_sessionized",
    "+audit_row_counts",
    "+audit_quarantined_identifiers",
    "+audit_rejected_rows",
]
# a guest and a kiosk user who asked to be erased
ERASED = ["guest005@example.com", "kiosk005@example.com"]


def _build(raw, work, dbt_vars=None):
    return assert_ok(
        run_dbt(
            ["build", "--select", *SELECT, "--indirect-selection", "cautious", "--exclude-resource-type", "unit_test"],
            raw,
            work,
            {"as_of_date": E2E_END_DATE, **(dbt_vars or {})},
        )
    )


def _clean_contacts(contacts, orders):
    """CRM contacts with one version, a valid unique email and completed orders of their own."""
    email = contacts["email"].str.strip().str.lower()
    valid = email.str.fullmatch(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")
    once = ~contacts["contact_id"].duplicated(keep=False) & ~email.duplicated(keep=False)
    updated = pd.to_datetime(contacts["updated_at"], utc=True, errors="coerce", format="ISO8601")
    plausible = updated < pd.Timestamp("2026-01-01", tz="UTC")
    single = orders[~orders["order_id"].duplicated(keep=False)]
    buyers = set(single.loc[single["status"].str.strip().str.lower() == "completed", "contact_id"].dropna())
    clean = contacts[valid & once & plausible & contacts["contact_id"].isin(buyers)]
    assert len(clean) >= 6
    return clean


@pytest.fixture(scope="module")
def builds(built, demo_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("identity")
    # the demo data without the planted rows: the session's build (a superset of SELECT, with its data tests)
    baseline = built
    raw = copy_raw(demo_data[0], root / "raw")

    contacts, contacts_path = read_raw_table(raw, "crm_contacts")
    orders, orders_path = read_raw_table(raw, "orders")
    items, items_path = read_raw_table(raw, "order_items")
    events, events_path = read_raw_table(raw, "web_events")
    clean = _clean_contacts(contacts, orders)
    guest_victim, kiosk_victim, conflict_owner, conflict_other, tie_contact, updated_contact = (
        clean.iloc[i] for i in range(6)
    )
    people = {
        "guest_victim": guest_victim,
        "kiosk_victim": kiosk_victim,
        "conflict_owner": conflict_owner,
        "conflict_other": conflict_other,
        "tie_contact": tie_contact,
        "updated_contact": updated_contact,
    }

    # CRM: a tie on updated_at with other content, and a genuine later version.
    tie = contacts[contacts["contact_id"] == tie_contact["contact_id"]].copy()
    tie["first_name"] = "Tie"
    newer = contacts[contacts["contact_id"] == updated_contact["contact_id"]].copy()
    newer["first_name"] = "Newer"
    newer["updated_at"] = (pd.Timestamp("2026-01-02T00:00:00")).isoformat()
    write_raw_table(pd.concat([contacts, tie, newer], ignore_index=True), contacts_path)

    # Orders: 80 guest orders with contact_id 'C-GUEST' from 70 emails, the first the
    # victim's own; two with no email at all; a conflicting and an exact duplicate.
    template_order = orders.iloc[0].to_dict()
    template_item = items[items["order_id"] == template_order["order_id"]].iloc[0].to_dict()
    emails = [guest_victim["email"]] + [f"guest{i:03d}@example.com" for i in range(1, GUEST_EMAILS)]
    new_orders, new_items = [], []
    for i in range(GUEST_ORDERS + UNNAMED_GUEST_ORDERS):
        order_id = f"GUEST-{i:03d}"
        new_orders.append(
            {
                **template_order,
                "order_id": order_id,
                "contact_id": "C-GUEST",
                "email": emails[i % GUEST_EMAILS] if i < GUEST_ORDERS else None,
                "ordered_at": raw_timestamp(orders, "ordered_at", pd.Timestamp("2026-03-01") + pd.Timedelta(hours=i)),
                "status": "completed",
            }
        )
        new_items.append({**template_item, "order_id": order_id})
    single = orders[~orders["order_id"].duplicated(keep=False)]
    owned = single[
        (single["contact_id"] == conflict_owner["contact_id"])
        & (single["status"].str.strip().str.lower() == "completed")
    ]
    conflicting = owned.iloc[[0]].copy()
    conflicting["contact_id"] = conflict_other["contact_id"]
    conflicting["email"] = None
    conflicting["status"] = "refunded"
    exact = single[(single["status"] == "completed") & ~single["order_id"].isin(owned["order_id"])].iloc[[0]].copy()
    exact["status"] = "  COMPLETED "  # formatting only: still the same order
    write_raw_table(pd.concat([orders, pd.DataFrame(new_orders), conflicting, exact], ignore_index=True), orders_path)
    write_raw_table(pd.concat([items, pd.DataFrame(new_items)], ignore_index=True), items_path)

    # Web: one kiosk device logged into by 44 people, then 44 visits nobody logged into.
    template_event = events.iloc[0].to_dict()
    new_events = []
    for i in range(KIOSK_LOGINS):
        login = {
            **template_event,
            "event_id": f"kiosk-login-{i:03d}",
            "anonymous_id": "kiosk-1",
            "contact_id": None,
            "email": kiosk_victim["email"] if i == 0 else f"kiosk{i:03d}@example.com",
            "event_type": "page_view",
            "product_id": None,
            "occurred_at": raw_timestamp(events, "occurred_at", pd.Timestamp("2026-03-02") + pd.Timedelta(hours=i)),
        }
        visit = {
            **login,
            "event_id": f"kiosk-visit-{i:03d}",
            "email": None,
            "occurred_at": raw_timestamp(events, "occurred_at", pd.Timestamp("2026-04-02") + pd.Timedelta(hours=i)),
        }
        new_events += [login, visit]
    write_raw_table(pd.concat([events, pd.DataFrame(new_events)], ignore_index=True), events_path)

    erasures = [hashlib.sha256(email.encode()).hexdigest() for email in ERASED]
    hostile = _build(raw, root / "hostile", {"erasure_email_sha256s": erasures})
    people["conflicting_order_id"] = conflicting.iloc[0]["order_id"]
    people["exact_order_id"] = exact.iloc[0]["order_id"]
    people["conflicting_order_items"] = int((items["order_id"] == conflicting.iloc[0]["order_id"]).sum())
    return baseline, hostile, people


def _customer(build, contact_id):
    return build.scalar(
        f"""
        select customer_id from intermediate.int_identities_stitched
        where identifier_type = 'contact_id' and identifier_value = '{contact_id}'
        """
    )


def _orders_of(build, customer_id):
    rows = build.query(f"select order_id from intermediate.int_orders_attributed where customer_id = '{customer_id}'")
    return {order_id for (order_id,) in rows}


def test_a_shared_guest_contact_id_is_quarantined_not_pinned_on_one_person(builds):
    baseline, hostile, people = builds
    victim = people["guest_victim"]
    customer = _customer(hostile, victim["contact_id"])
    # customer ids are stable: the anchor did not move
    assert customer == _customer(baseline, victim["contact_id"])
    # she keeps her own orders plus the two guest orders placed with her own email
    own = _orders_of(baseline, customer)
    assert _orders_of(hostile, customer) == own | {"GUEST-000", f"GUEST-{GUEST_EMAILS:03d}"}
    # every other guest order stays with its own email; the two without one belong to nobody
    per_email = hostile.query(
        """
        select orders.email, count(distinct attributed.customer_id)
        from staging.stg_shop__orders as orders
        left join intermediate.int_orders_attributed as attributed using (order_id)
        where orders.contact_id = 'C-GUEST'
        group by orders.email
        """
    )
    # one guest email is erased: its two orders are rejected as erased in staging, so it is not here
    assert len(per_email) == GUEST_EMAILS - 1 + 1
    assert dict(per_email)[None] == 0
    assert all(customers == 1 for email, customers in per_email if email is not None)
    assert (
        hostile.scalar("select count(*) from intermediate.int_identities_stitched where identifier_value = 'C-GUEST'")
        == 0
    )
    audit = hostile.query(
        """
        select identifier_value, people_linked, rows_affected, rows_unattributed, is_quarantined, reason
        from audit.audit_quarantined_identifiers
        where identifier_type = 'contact_id'
        """
    )
    assert audit == [
        (
            "C-GUEST",
            GUEST_EMAILS - 1,  # the erased guest and her two orders are gone before stitching
            GUEST_ORDERS + UNNAMED_GUEST_ORDERS - 2,
            UNNAMED_GUEST_ORDERS,
            True,
            "contact_id_shared_by_too_many_people",
        )
    ]


def test_a_kiosk_device_is_quarantined_and_its_anonymous_visits_belong_to_nobody(builds):
    baseline, hostile, people = builds
    victim = people["kiosk_victim"]
    customer = _customer(hostile, victim["contact_id"])
    assert customer == _customer(baseline, victim["contact_id"])
    kiosk_events = dict(
        hostile.query(
            f"""
            select event_id like 'kiosk-login-%', count(*)
            from intermediate.int_web_events_sessionized
            where event_id like 'kiosk-%' and customer_id = '{customer}'
            group by all
            """
        )
    )
    assert kiosk_events == {True: 1}
    logins = hostile.scalar(
        """
        select count(distinct customer_id) from intermediate.int_web_events_sessionized
        where event_id like 'kiosk-login-%'
        """
    )
    assert logins == KIOSK_LOGINS - 1  # one kiosk user is erased: her login is rejected as erased
    visits = hostile.scalar(
        "select count(*) from intermediate.int_web_events_sessionized where event_id like 'kiosk-visit-%'"
    )
    assert visits == 0
    audit = hostile.query(
        """
        select identifier_value, people_linked, rows_affected, rows_unattributed, reason
        from audit.audit_quarantined_identifiers
        where identifier_type = 'anonymous_id'
        """
    )
    assert audit == [
        ("kiosk-1", KIOSK_LOGINS - 1, 2 * KIOSK_LOGINS - 1, KIOSK_LOGINS, "anonymous_id_shared_by_too_many_people")
    ]


def test_the_build_warns_for_each_quarantined_identifier(builds):
    baseline, hostile, _ = builds
    assert "WARN 2 no_identifier_shared_by_too_many_people" in hostile.result.stdout
    assert "PASS no_identifier_shared_by_too_many_people" in baseline.result.stdout


def test_conflicting_duplicates_are_rejected_and_exact_ones_collapsed(builds):
    baseline, hostile, people = builds
    order_id = people["conflicting_order_id"]
    rejected = hostile.query(
        f"""
        select source_table, rejection_reason, count(*)
        from audit.audit_rejected_rows
        where raw_key = '{order_id}' or raw_key like '{order_id}|%'
        group by all
        order by all
        """
    )
    items = people["conflicting_order_items"]
    assert items > 0
    assert rejected == [
        ("order_items", "order_rejected:conflicting_duplicate", items),
        ("orders", "conflicting_duplicate", 2),
    ]
    # neither contact gets the order: no silent pick
    assert hostile.scalar(f"select count(*) from intermediate.int_orders_attributed where order_id = '{order_id}'") == 0
    owner = _customer(hostile, people["conflict_owner"]["contact_id"])
    assert _orders_of(hostile, owner) == _orders_of(baseline, owner) - {order_id}

    exact = people["exact_order_id"]
    assert hostile.scalar(f"select count(*) from staging.stg_shop__orders where order_id = '{exact}'") == 1
    duplicates = dict(hostile.query("select source_table, duplicate_rows from audit.audit_row_counts"))
    before = dict(baseline.query("select source_table, duplicate_rows from audit.audit_row_counts"))
    assert duplicates["orders"] == before["orders"] + 1
    assert hostile.scalar("select sum(unaccounted_rows) from audit.audit_row_counts") == 0


def test_a_crm_tie_is_a_conflict_and_a_later_version_an_update(builds):
    _, hostile, people = builds
    tie_id = people["tie_contact"]["contact_id"]
    reasons = hostile.query(
        f"""
        select rejection_reason, count(*) from audit.audit_rejected_rows
        where source_table = 'crm_contacts' and raw_key = '{tie_id}'
        group by all
        """
    )
    assert reasons == [("conflicting_duplicate", 2)]
    assert hostile.scalar(f"select count(*) from staging.stg_crm__contacts where contact_id = '{tie_id}'") == 0
    updated = hostile.query(
        f"""
        select first_name from staging.stg_crm__contacts
        where contact_id = '{people["updated_contact"]["contact_id"]}'
        """
    )
    assert updated == [("Newer",)]


def test_nobody_else_moves(builds):
    baseline, hostile, people = builds
    moved = {
        people[name]["contact_id"]
        for name in ("guest_victim", "conflict_owner", "conflict_other", "tie_contact", "updated_contact")
    }
    # Every customer of the baseline keeps their id, orders, the features their segment is
    # scored from, and their lifecycle stage. (RFM scores are quintiles over everyone, so
    # the 70 new guest customers may shift a neighbour's rfm_segment; their inputs do not move.)
    compare = """
        select
            dim.customer_id,
            dim.contact_id,
            segments.lifecycle_stage,
            features.order_count,
            features.monetary_value,
            features.recency_days,
            (select count(*) from intermediate.int_orders_attributed as o where o.customer_id = dim.customer_id)
        from main.dim_customers as dim
        left join main.fct_customer_segments as segments using (customer_id)
        left join main.fct_customer_features as features using (customer_id)
        where dim.contact_id is not null
        """
    before = {row[1]: row for row in baseline.query(compare) if row[1] not in moved}
    after = {row[1]: row for row in hostile.query(compare) if row[1] in before}
    assert len(before) > 1000
    changed = [contact for contact, row in before.items() if after.get(contact) != row]
    assert changed == []


def test_erased_people_who_shared_a_quarantined_identifier_are_fully_erased(builds):
    _, hostile, _ = builds
    # erased at the base: their rows never reach stitching, and staging keeps only the reason
    stitched = hostile.query(
        f"""
        select identifier_value from intermediate.int_identities_stitched
        where identifier_value in ({", ".join(f"'{email}'" for email in ERASED)})
        """
    )
    assert stitched == []
    erased_rows = dict(
        hostile.query(
            """
            select source_table, count(*) from audit.audit_rejected_rows
            where rejection_reason = 'erased' and source_table in ('orders', 'order_items', 'web_events')
            group by all
            """
        )
    )
    assert erased_rows == {"orders": 2, "order_items": 2, "web_events": 1}
    found = []
    columns = hostile.query(
        """
        select table_schema, table_name, column_name
        from information_schema.columns
        where table_schema in ('main', 'audit') and data_type = 'VARCHAR'
        """
    )
    for schema, table, column in columns:
        for email in ERASED:
            if hostile.scalar(f"""select count(*) from {schema}.{table} where "{column}" like '%{email}%'"""):
                found.append(f"{schema}.{table}.{column}: {email}")
    assert found == []
    # the quarantine itself is unchanged by the erasure
    assert hostile.scalar("select count(*) from audit.audit_quarantined_identifiers") == 2
