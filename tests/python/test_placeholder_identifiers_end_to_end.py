"""Placeholder identifiers never merge strangers.

Loaders write 'null', 'undefined', '0'... where an id is missing. Read as ids,
80 guest orders with contact_id 'null' from 70 emails became one person with
the earliest email seen with that id, and 44 devices with anonymous_id
'undefined' became one visitor. Emails that are no address were nulled without
a word. One build on the demo data plus those rows.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import BUILD, raw_timestamp, read_raw_table, write_raw_table

pytestmark = pytest.mark.e2e

GUEST_ORDERS = 80
GUEST_EMAILS = 70
DEVICES = 44
INVALID_EMAILS = ["n/a", "john.doe@", " foo at bar.com "]


# What the tests read (staging, identity, attribution, sessions, the audits) with every model and test upstream:
# the ML models, marts and exports further down only read these.
PLACEHOLDERS_BUILD = (
    *BUILD,
    "--indirect-selection",
    "buildable",
    "--select",
    "+int_identities_stitched",
    "+int_orders_attributed",
    "+int_web_events_sessionized",
    "+audit_rejected_rows",
    "+audit_row_counts",
    "identifier_placeholders",
)


@pytest.fixture(scope="module")
def hostile(rebuild):
    build = rebuild("placeholders", _plant, args=PLACEHOLDERS_BUILD)
    return build, build.planted


def _plant(raw):
    """Placeholder identifiers and emails that are no address in every raw table; return the victim contact."""
    contacts, contacts_path = read_raw_table(raw, "crm_contacts")
    # A real CRM contact whose email is the earliest seen with contact_id 'null':
    # before the fix every 'null' order landed on her.
    victim = contacts.iloc[0]
    extra_contact = contacts.iloc[[1]].copy()
    extra_contact["contact_id"] = "NULL"
    extra_contact["email"] = "placeholder.contact@example.com"
    write_raw_table(pd.concat([contacts, extra_contact], ignore_index=True), contacts_path)

    orders, orders_path = read_raw_table(raw, "orders")
    items, items_path = read_raw_table(raw, "order_items")
    template_order = orders.iloc[0].to_dict()
    template_item = items[items["order_id"] == template_order["order_id"]].iloc[0].to_dict()
    emails = [victim["email"]] + [f"guest{i:03d}@example.com" for i in range(1, GUEST_EMAILS)]
    new_orders, new_items = [], []
    for i in range(GUEST_ORDERS):
        order_id = f"PLACEHOLDER-{i:03d}"
        new_orders.append(
            {
                **template_order,
                "order_id": order_id,
                "contact_id": ["null", "NULL", " null ", "0", "undefined"][i % 5],
                "email": emails[i % GUEST_EMAILS],
                "ordered_at": raw_timestamp(orders, "ordered_at", pd.Timestamp("2026-03-01") + pd.Timedelta(hours=i)),
                "status": "completed",
            }
        )
        new_items.append({**template_item, "order_id": order_id})
    write_raw_table(pd.concat([orders, pd.DataFrame(new_orders)], ignore_index=True), orders_path)
    write_raw_table(pd.concat([items, pd.DataFrame(new_items)], ignore_index=True), items_path)

    events, events_path = read_raw_table(raw, "web_events")
    template_event = events.iloc[0].to_dict()
    new_events = []
    for i in range(DEVICES):
        device = "Undefined" if i % 2 else "00000000-0000-0000-0000-000000000000"
        identified = {
            **template_event,
            "event_id": f"placeholder-web-{i:03d}",
            "anonymous_id": device,
            "contact_id": None,
            "email": f"device{i:03d}@example.com",
            "event_type": "page_view",
            "product_id": None,
            "occurred_at": raw_timestamp(events, "occurred_at", pd.Timestamp("2026-03-02") + pd.Timedelta(minutes=i)),
        }
        # a later visit on the same device, not logged in: only the device id could link it
        anonymous = {
            **identified,
            "event_id": f"placeholder-web-anon-{i:03d}",
            "email": None,
            "occurred_at": raw_timestamp(events, "occurred_at", pd.Timestamp("2026-03-03") + pd.Timedelta(minutes=i)),
        }
        new_events += [identified, anonymous]
    # emails that are no address: set aside with a count beside a contact id, rejected saying so when alone
    for i, bad in enumerate(INVALID_EMAILS):
        when = pd.Timestamp("2026-03-04") + pd.Timedelta(minutes=i)
        new_events.append(
            {
                **template_event,
                "event_id": f"invalid-email-web-{i}",
                "anonymous_id": None,
                "contact_id": None,
                "email": bad,
                "event_type": "page_view",
                "product_id": None,
                "occurred_at": raw_timestamp(events, "occurred_at", when),
            }
        )
    new_events = pd.DataFrame(new_events)
    write_raw_table(pd.concat([events, new_events], ignore_index=True), events_path)
    orders, _ = read_raw_table(raw, "orders")
    items, _ = read_raw_table(raw, "order_items")
    bad_orders = [
        {
            **template_order,
            "order_id": f"INVALID-EMAIL-{i}",
            "contact_id": victim["contact_id"],
            "email": bad,
            "ordered_at": raw_timestamp(orders, "ordered_at", pd.Timestamp("2026-03-05") + pd.Timedelta(hours=i)),
            "status": "completed",
        }
        for i, bad in enumerate(INVALID_EMAILS)
    ]
    write_raw_table(pd.concat([orders, pd.DataFrame(bad_orders)], ignore_index=True), orders_path)
    bad_items = [{**template_item, "order_id": order["order_id"]} for order in bad_orders]
    write_raw_table(pd.concat([items, pd.DataFrame(bad_items)], ignore_index=True), items_path)
    return victim


def test_guest_orders_with_a_placeholder_contact_id_stay_with_their_own_email(hostile):
    build, victim = hostile
    per_email = build.query(
        """
        select orders.email, count(distinct attributed.customer_id), count(*)
        from intermediate.int_orders_attributed as attributed
        join staging.stg_shop__orders as orders using (order_id)
        where orders.order_id like 'PLACEHOLDER-%'
        group by orders.email
        """
    )
    assert len(per_email) == GUEST_EMAILS
    assert all(customers == 1 for _, customers, _ in per_email)
    customers = build.scalar(
        "select count(distinct customer_id) from intermediate.int_orders_attributed where order_id like 'PLACEHOLDER-%'"
    )
    assert customers == GUEST_EMAILS
    # The real contact gets exactly the orders placed with her own email.
    victims_orders = build.scalar(
        f"""
        select count(*)
        from intermediate.int_orders_attributed as attributed
        join intermediate.int_identities_stitched as identities
            on identities.customer_id = attributed.customer_id
        where identities.identifier_type = 'contact_id'
            and identities.identifier_value = '{victim["contact_id"]}'
            and attributed.order_id like 'PLACEHOLDER-%'
        """
    )
    assert victims_orders == len(range(0, GUEST_ORDERS, GUEST_EMAILS))


def test_no_placeholder_becomes_an_identifier(hostile):
    build, _ = hostile
    found = build.query(
        """
        select identifier_type, identifier_value
        from intermediate.int_identities_stitched
        where lower(trim(identifier_value)) in (select placeholder from seeds.identifier_placeholders)
        """
    )
    assert found == []


def test_devices_with_a_placeholder_anonymous_id_are_not_merged(hostile):
    build, _ = hostile
    # Identified visits stay with their own email.
    people = build.scalar(
        """
        select count(distinct customer_id)
        from intermediate.int_web_events_sessionized
        where event_id like 'placeholder-web-0%'
        """
    )
    assert people == DEVICES
    # Anonymous visits on a placeholder device id cannot be linked to anyone:
    # they are rejected, not pinned on the first person seen with 'undefined'.
    linked = build.scalar(
        "select count(*) from intermediate.int_web_events_sessionized where event_id like 'placeholder-web-anon-%'"
    )
    assert linked == 0
    rejected = build.query(
        """
        select rejection_reason, count(*)
        from audit.audit_rejected_rows
        where source_table = 'web_events' and raw_key like 'placeholder-web-anon-%'
        group by all
        """
    )
    assert rejected == [("no_customer_identifier", DEVICES)]


def test_placeholders_are_counted_and_a_placeholder_crm_id_is_rejected_with_its_reason(hostile):
    build, _ = hostile
    counts = dict(build.query("select source_table, placeholder_identifier_rows from audit.audit_row_counts"))
    assert counts["orders"] == GUEST_ORDERS
    assert counts["web_events"] == 2 * DEVICES
    assert counts["crm_contacts"] == 1
    reasons = build.query(
        """
        select rejection_reason, count(*)
        from audit.audit_rejected_rows
        where source_table = 'crm_contacts' and rejection_reason = 'placeholder_contact_id'
        group by rejection_reason
        """
    )
    assert reasons == [("placeholder_contact_id", 1)]
    unaccounted = build.scalar("select sum(unaccounted_rows) from audit.audit_row_counts")
    assert unaccounted == 0


def test_an_email_that_is_no_address_is_counted_or_rejected_never_silently_dropped(hostile):
    build, victim = hostile
    # beside a contact id: the order is kept (with its contact's person), flagged and counted
    kept = build.query(
        """
        select orders.order_id, base.has_invalid_email, orders.email, orders.contact_id
        from staging.stg_shop__orders as orders
        inner join staging.base_shop__orders as base on orders.order_id = base.order_id
        where orders.order_id like 'INVALID-EMAIL-%'
        order by orders.order_id
        """
    )
    assert kept == [(f"INVALID-EMAIL-{i}", True, None, victim["contact_id"]) for i in range(len(INVALID_EMAILS))]
    counts = dict(build.query("select source_table, invalid_email_rows from audit.audit_row_counts"))
    for table, base in [
        ("orders", "base_shop__orders"),
        ("web_events", "base_web__events"),
        ("crm_contacts", "base_crm__contacts"),
        ("experiment_assignments", "base_experiments__assignments"),
    ]:
        flagged = build.scalar(
            f"select count(*) from staging.{base} where rejection_reason is null and has_invalid_email"
        )
        assert counts[table] == flagged, table
    assert counts["orders"] >= len(INVALID_EMAILS)
    assert counts["crm_contacts"] > 0  # the demo CRM holds a few
    # the only identifier: rejected as invalid_email, not as if no identifier had been given
    rejected = build.query(
        """
        select rejection_reason, count(*)
        from audit.audit_rejected_rows
        where source_table = 'web_events' and raw_key like 'invalid-email-web-%'
        group by all
        """
    )
    assert rejected == [("invalid_email", len(INVALID_EMAILS))]
