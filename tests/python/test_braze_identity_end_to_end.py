"""Braze external ids survive re-anchoring, merges are exported, trigger events are stable, end to end.

One warehouse, built twice. The first build (the session's, copied) issues an
external id to every person. Then the raw data changes as a CRM does: a guest who ordered gets a CRM
record created before their first order (their customer_id becomes the
record's) and subscribes, and one CRM contact's email is changed to another
contact's (rule 1 makes them one person). The second build, in the same warehouse, must keep the
guest's external id, record the merge of the two ids into one, keep every other
person's id and every other trigger event id, and export events only for
contactable people outside the holdout. A third build, in which the guest asks
to be erased, must leave their external id only as a tombstone in the identity
map and as a delete row in the deletion feed.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from conftest import E2E_END_DATE, assert_ok, run_dbt

pytestmark = pytest.mark.e2e

NEW_CONTACT_ID = "C9900001"

USERS = "exports.sync_braze__users"
IDS = "intermediate.int_customer_external_ids"
STITCHED = "intermediate.int_identities_stitched"


@pytest.fixture(scope="module")
def builds(built, warehouse_copy, rebuild):
    # the first build of the demo data: the session's, whose warehouse the second build continues in a copy
    first, work = built, warehouse_copy("braze_work")

    before = {
        "users": first.query(f"select external_id, email from {USERS}"),
        "ids": first.query(f"select external_id, issued_at, customer_id from {IDS}"),
        "events": first.query("select event_id, external_id from exports.sync_braze__events"),
        "stitched": first.query(f"select identifier_type, identifier_value, customer_id from {STITCHED}"),
    }
    exported = {email for _, email in before["users"]}
    # a guest: an email anchoring its own person, with an order (it has an id, though not contactable yet)
    guest = first.scalar(
        f"""
        select stitched.identifier_value
        from {STITCHED} as stitched
        inner join staging.stg_shop__orders as orders on orders.email = stitched.identifier_value
        where stitched.identifier_type = 'email' and stitched.anchor_type = 'email'
            and regexp_full_match(stitched.identifier_value, '[a-z0-9.]+@[a-z0-9.]+')
        order by stitched.identifier_value
        limit 1
        """
    )
    # two contactable CRM people, each one record with its own email
    pair = first.query(
        f"""
        with single as (
            select stitched.customer_id, any_value(contacts.contact_id) as contact_id,
                any_value(contacts.email) as email, min(contacts.created_at) as created_at
            from {STITCHED} as stitched
            inner join staging.stg_crm__contacts as contacts on stitched.identifier_value = contacts.contact_id
            where stitched.identifier_type = 'contact_id' and stitched.anchor_type = 'contact'
            group by stitched.customer_id
            having count(*) = 1
        )
        select contact_id, email from single
        where email in ({",".join("'" + e + "'" for e in exported)})
        order by created_at, contact_id
        limit 2
        """
    )
    (keep_contact, keep_email), (merge_contact, _merge_email) = pair
    before["guest_customer_id"] = first.scalar(f"select customer_id from {STITCHED} where identifier_value = '{guest}'")
    before["guest_external_id"] = first.scalar(
        f"select external_id from {IDS} where customer_id = '{before['guest_customer_id']}' and is_active"
    )
    before["keep_external_id"] = _external_id_of(first, "contact_id", keep_contact)
    before["merge_external_id"] = _external_id_of(first, "contact_id", merge_contact)
    before["merges"] = first.scalar("select count(*) from exports.sync_braze__merges")

    def re_anchor_and_merge(raw):
        contacts_path = raw / "crm_contacts.csv"
        contacts = pd.read_csv(contacts_path, dtype=str, keep_default_na=False)
        contacts.loc[contacts["contact_id"] == merge_contact, "email"] = keep_email
        contacts.loc[contacts["contact_id"] == merge_contact, "updated_at"] = "2026-05-30T00:00:00"
        new_row = dict.fromkeys(contacts.columns, "")
        new_row.update(
            contact_id=NEW_CONTACT_ID,
            email=guest,
            first_name="Gia",
            created_at="2020-01-01T00:00:00",
            updated_at="2020-01-01T00:00:00",
        )
        contacts = pd.concat([contacts, pd.DataFrame([new_row])], ignore_index=True)
        contacts.to_csv(contacts_path, index=False)
        # ... and subscribes, so the second build exports them to Braze
        subscriptions_path = raw / "email_subscriptions.csv"
        subscriptions = pd.read_csv(subscriptions_path, dtype=str, keep_default_na=False)
        subscription = dict.fromkeys(subscriptions.columns, "")
        subscription.update(email=guest, status="subscribed", updated_at="2026-05-31T00:00:00")
        subscriptions = pd.concat([subscriptions, pd.DataFrame([subscription])], ignore_index=True)
        subscriptions.to_csv(subscriptions_path, index=False)

    second = rebuild("braze", re_anchor_and_merge, work=work)
    # what the first build held is in before: the second build changed its copy
    return {
        "second": second,
        "before": before,
        "guest": guest,
        "keep_contact": keep_contact,
        "merge_contact": merge_contact,
    }


def _external_id_of(build, identifier_type, value):
    return build.scalar(
        f"""
        select ids.external_id
        from {STITCHED} as stitched
        inner join {IDS} as ids on stitched.customer_id = ids.customer_id and ids.is_active
        where stitched.identifier_type = '{identifier_type}' and stitched.identifier_value = '{value}'
        """
    )


def test_a_re_anchored_guest_keeps_their_external_id(builds):
    second, guest, before = builds["second"], builds["guest"], builds["before"]
    customer_before = before["guest_customer_id"]
    customer_after = second.scalar(f"select customer_id from {STITCHED} where identifier_value = '{guest}'")
    assert customer_before != customer_after  # the CRM record re-anchored the guest
    assert second.scalar(f"select person_key from {STITCHED} where identifier_value = '{guest}'") == (
        f"contact:{NEW_CONTACT_ID}"
    )
    external_before = before["guest_external_id"]
    assert external_before == customer_before  # issued as the customer_id of the day, exported or not
    assert second.scalar(f"select external_id from {USERS} where email = '{guest}'") == external_before


def test_two_people_who_became_one_are_exported_as_a_merge(builds):
    second = builds["second"]
    keep_before = builds["before"]["keep_external_id"]
    merge_before = builds["before"]["merge_external_id"]
    assert keep_before != merge_before
    merges = second.query(
        "select identifier_to_merge_external_id, identifier_to_keep_external_id, merge_update "
        "from exports.sync_braze__merges"
    )
    assert len(merges) == 1
    (to_merge, to_keep, merge_update) = merges[0]
    assert {to_merge, to_keep} == {keep_before, merge_before}
    assert '"identifier_to_merge":{"external_id":"' + to_merge + '"}' in merge_update
    # the kept id is the person's id now, for both contact ids; the merged one is exported no more
    assert _external_id_of(second, "contact_id", builds["keep_contact"]) == to_keep
    assert _external_id_of(second, "contact_id", builds["merge_contact"]) == to_keep
    exported = {row[0] for row in second.query(f"select external_id from {USERS}")}
    assert to_keep in exported
    assert to_merge not in exported
    assert builds["before"]["merges"] == 0


def test_no_issued_id_changes_or_disappears(builds):
    second = builds["second"]
    after = {row[0]: row[1] for row in second.query(f"select external_id, issued_at from {IDS}")}
    for external_id, issued_at, _ in builds["before"]["ids"]:
        assert after[external_id] == issued_at
    # everyone exported before who was not merged away keeps their id
    merged = {row[0] for row in second.query("select identifier_to_merge_external_id from exports.sync_braze__merges")}
    users_after = dict(second.query(f"select email, external_id from {USERS}"))
    moved = [
        (email, external_id)
        for external_id, email in builds["before"]["users"]
        if external_id not in merged and email in users_after and users_after[email] != external_id
    ]
    assert moved == []


def test_event_ids_are_stable_across_rebuilds(builds):
    second = builds["second"]
    merged = {row[0] for row in second.query("select identifier_to_merge_external_id from exports.sync_braze__merges")}
    after = {row[0] for row in second.query("select event_id from exports.sync_braze__events")}
    before = [event_id for event_id, external_id in builds["before"]["events"] if external_id not in merged]
    assert before, "the demo data should fire triggers"
    assert [event_id for event_id in before if event_id not in after] == []
    klaviyo = {row[0] for row in second.query("select unique_id from exports.sync_klaviyo__events")}
    assert klaviyo == after


def test_every_event_belongs_to_a_contactable_person_outside_the_holdout(builds):
    second = builds["second"]
    assert (
        second.scalar(
            f"""
            select count(*)
            from exports.sync_braze__events as events
            left join {IDS} as ids on events.external_id = ids.external_id and ids.is_active
            left join main.fct_contactability as contactability
                on ids.customer_id = contactability.customer_id
                and contactability.is_primary_email and contactability.is_contactable
            where contactability.customer_id is null
                or ids.customer_id in (
                    select customer_id from main.fct_experiment_assignments where is_global_holdout
                )
            """
        )
        == 0
    )
    assert (
        second.scalar(
            """
            select count(*)
            from exports.sync_klaviyo__events as events
            anti join main.fct_contactability as contactability
                on events.profile_email = contactability.email
                and contactability.is_primary_email and contactability.is_contactable
            """
        )
        == 0
    )


@pytest.fixture(scope="module")
def erased(builds):
    """A third build of the same warehouse in which the re-anchored guest asks to be erased."""
    second, guest = builds["second"], builds["guest"]
    external_id = builds["before"]["guest_external_id"]
    customer_id = second.scalar(f"select customer_id from {STITCHED} where identifier_value = '{guest}'")
    sha = hashlib.sha256(guest.encode()).hexdigest()
    dbt_vars = {"as_of_date": E2E_END_DATE, "erasure_email_sha256s": [sha]}
    third = assert_ok(run_dbt(["build"], second.raw_dir, second.work_dir, dbt_vars))
    return third, external_id, customer_id


def test_an_erased_person_leaves_the_identity_map_and_every_braze_export(erased):
    third, external_id, customer_id = erased
    # the map keeps a tombstone: the id (never issued again) and when it was erased, nothing else
    assert third.query(
        f"""select anchor_identifier_md5, first_seen_at, customer_id, current_external_id,
            merged_into_external_id, merged_at, is_active, erased_at is not null
        from {IDS} where external_id = '{external_id}'"""
    ) == [(None, None, None, None, None, None, False, True)]
    assert third.scalar(f"select count(*) from {IDS} where customer_id = '{customer_id}'") == 0
    # the deletion feed names that id, to delete only
    assert third.query(
        f"select sync_action, reason, email from exports.sync_esp__deletions where external_id = '{external_id}'"
    ) == [("delete", "erased", None)]
    for table, column in [
        ("exports.sync_braze__users", "external_id"),
        ("exports.sync_braze__events", "external_id"),
        ("exports.sync_braze__merges", "identifier_to_keep_external_id"),
        ("exports.sync_klaviyo__events", "profile_external_id"),
    ]:
        assert third.scalar(f"select count(*) from {table} where {column} = '{external_id}'") == 0, table
