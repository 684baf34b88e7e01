"""Consent fails closed.

Each of these rows left a subscribed person contactable and exported as
subscribed, though the row was rejected with its reason: a later unsubscribe
whose time cannot be read or is empty, a status the project did not know
(unsubscribe, opted_out), an email event spelled the way SendGrid, Mailgun,
Braze Currents or Klaviyo spell it, an unsubscribe event without an event id.
One build on the demo data plus, for distinct new people (all subscribed,
signed up two days before as_of so the welcome trigger puts them in an
audience), one hostile row each; a few untouched controls; and people whose
stop is followed by a later valid opt-in. The same build holds
test_esp_profiles_end_to_end's rows for its own people.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from conftest import E2E_END_DATE, consent_rows_build, raw_timestamp, read_raw_table, write_raw_table

pytestmark = pytest.mark.e2e

AS_OF = pd.Timestamp(E2E_END_DATE)
SIGNED_UP = AS_OF - pd.Timedelta(days=2)
SUBSCRIBED = SIGNED_UP + pd.Timedelta(hours=1)
LATER = SUBSCRIBED + pd.Timedelta(hours=5)
OPT_IN_AGAIN = LATER + pd.Timedelta(hours=5)

# person -> (subscription rows [(status, updated_at)], email events [(event_id, event_type, occurred_at)])
# Everyone also has a valid subscribed row at SUBSCRIBED unless the case says otherwise.
CASES: dict[str, tuple[list, list]] = {
    "unparseable_time": ([("unsubscribed", "next tuesday")], []),
    "empty_time": ([("unsubscribed", "")], []),
    "unknown_unsubscribe": ([("unsubscribe", LATER)], []),
    "unknown_opted_out": ([(" Opted_Out ", LATER)], []),
    "sendgrid_spamreport": ([], [("CONSENT-E1", "spamreport", LATER)]),
    "mailgun_complained": ([], [("CONSENT-E2", "complained", LATER)]),
    "braze_mark_as_spam": ([], [("CONSENT-E3", "users.messages.email.MarkAsSpam", LATER)]),
    "klaviyo_unsubscribed": ([], [("CONSENT-E4", "Unsubscribed", LATER)]),
    "unknown_unsub_event": ([], [("CONSENT-E5", "list_unsubscribe_request", LATER)]),
    "unsubscribe_without_id": ([], [(None, "unsubscribe", LATER)]),
    "tie": ([("unsubscribed", SUBSCRIBED)], []),
    # a stop whose time cannot be read cannot be ordered before any opt-in: it stays
    "unreadable_time_then_opt_in": ([("unsubscribed", "n/a"), ("subscribed", OPT_IN_AGAIN)], []),
}
UNPARSEABLE_UNSUBSCRIBE = "email_subscriptions.status='unsubscribed' (unparseable_updated_at)"
EXPECTED_REASON = {
    "unparseable_time": ("unreadable_stop_signal", UNPARSEABLE_UNSUBSCRIBE),
    "empty_time": ("unreadable_stop_signal", UNPARSEABLE_UNSUBSCRIBE),
    "unknown_unsubscribe": ("unreadable_stop_signal", "email_subscriptions.status='unsubscribe' (invalid_status)"),
    "unknown_opted_out": ("unreadable_stop_signal", "email_subscriptions.status='opted_out' (invalid_status)"),
    "sendgrid_spamreport": ("complained", None),
    "mailgun_complained": ("complained", None),
    "braze_mark_as_spam": ("complained", None),
    "klaviyo_unsubscribed": ("unsubscribed", None),
    "unknown_unsub_event": (
        "unreadable_stop_signal",
        "email_events.event_type='list_unsubscribe_request' (invalid_event_type)",
    ),
    "unsubscribe_without_id": ("unreadable_stop_signal", "email_events.event_type='unsubscribe' (missing_event_id)"),
    "tie": ("unsubscribed", None),
    "unreadable_time_then_opt_in": ("unreadable_stop_signal", UNPARSEABLE_UNSUBSCRIBE),
}
# a readable stop followed by a valid opt-in: contactable again
RESTORED: dict[str, tuple[list, list]] = {
    "restored_opted_out": ([("opted_out", LATER), ("subscribed", OPT_IN_AGAIN)], []),
    "restored_no_event_id": ([("subscribed", OPT_IN_AGAIN)], [(None, "unsubscribe", LATER)]),
    "restored_spamreport": ([("SUBSCRIBED", OPT_IN_AGAIN)], [("CONSENT-E6", "spamreport", LATER)]),
}
CONTROLS = [f"control_{i}" for i in range(4)]
# exports whose job is to carry the stop to the ESP: a suppressed person belongs there
STOP_FEEDS = {"sync_esp__suppressions", "sync_esp__deletions"}


def _email(person: str) -> str:
    return f"consent.{person.replace('_', '.')}@example.com"


def _time(frame, column, value):
    """A Timestamp in the column's own type (native stays native, text becomes ISO); text stays as given."""
    if not isinstance(value, pd.Timestamp):
        return pd.NaT if str(frame[column].dtype).startswith("datetime") else value
    return raw_timestamp(frame, column, value)


def _plant(raw):
    """A CRM contact, a subscription and the hostile rows of CASES and RESTORED for each person, and controls."""
    people = {**CASES, **RESTORED, **{c: ([], []) for c in CONTROLS}}

    contacts, contacts_path = read_raw_table(raw, "crm_contacts")
    template = contacts.iloc[0].to_dict()
    new_contacts = [
        {
            **template,
            "contact_id": f"CONSENT-{i:03d}",
            "email": _email(person),
            "first_name": "Consent",
            "created_at": _time(contacts, "created_at", SIGNED_UP),
            "updated_at": _time(contacts, "updated_at", SIGNED_UP),
        }
        for i, person in enumerate(people)
    ]
    write_raw_table(pd.concat([contacts, pd.DataFrame(new_contacts)], ignore_index=True), contacts_path)

    subs, subs_path = read_raw_table(raw, "email_subscriptions")
    new_subs = []
    for person, (rows, _) in people.items():
        new_subs.append({"email": _email(person), "status": "subscribed", "updated_at": SUBSCRIBED})
        new_subs += [{"email": _email(person), "status": status, "updated_at": at} for status, at in rows]
    new_subs = pd.DataFrame(new_subs)
    new_subs["updated_at"] = [_time(subs, "updated_at", at) for at in new_subs["updated_at"]]
    write_raw_table(pd.concat([subs, new_subs], ignore_index=True), subs_path)

    events, events_path = read_raw_table(raw, "email_events")
    template_event = events.iloc[0].to_dict()
    new_events = [
        {
            **template_event,
            "event_id": event_id,
            "email": _email(person),
            "event_type": event_type,
            "occurred_at": _time(events, "occurred_at", at),
            "url": None,
        }
        for person, (_, person_events) in people.items()
        for event_id, event_type, at in person_events
    ]
    write_raw_table(pd.concat([events, pd.DataFrame(new_events)], ignore_index=True), events_path)


@pytest.fixture(scope="module")
def consent(built, rebuild, tmp_path_factory):
    """The build with these rows, shared with test_esp_profiles_end_to_end's leavers (conftest.consent_rows_build)."""
    from test_esp_profiles_end_to_end import esp_leavers

    return consent_rows_build(tmp_path_factory, rebuild, _plant, esp_leavers(built)[1])


def _holds(text: str, email: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(email)}(?![\w.])", text) is not None


def _exported_emails(build) -> dict[str, str]:
    """The text of every row of every sync_* relation but the stop feeds, by schema.model.

    Both the published exports (schema exports) and the pending set they were tested in.
    """
    tables = [
        (schema, name)
        for schema, name in build.query(
            "select table_schema, table_name from information_schema.tables "
            "where table_name like 'sync\\_%' escape '\\'"
        )
        # on DuckDB the published tables are renamed <model>__published (macros/publish_exports.sql)
        if name.removesuffix("__published") not in STOP_FEEDS
    ]
    assert len(tables) >= 5, tables
    return {
        f"{schema}.{name}": "\n".join(
            row[0] for row in build.query(f'select lower(cast(t as varchar)) from "{schema}"."{name}" t')
        )
        for schema, name in tables
    }


def test_every_hostile_row_makes_its_person_not_contactable(consent):
    rows = {
        email: (contactable, reason)
        for email, contactable, reason in consent.query(
            "select email, is_contactable, suppression_reason from fct_contactability "
            "where email like 'consent.%@example.com'"
        )
    }
    wrong = {
        person: rows.get(_email(person))
        for person in CASES
        if rows.get(_email(person)) != (False, EXPECTED_REASON[person][0])
    }
    assert not wrong, wrong
    assert all(rows[_email(c)] == (True, None) for c in CONTROLS), {c: rows.get(_email(c)) for c in CONTROLS}


def test_suppression_list_says_why(consent):
    listed = {
        email: (reason, detail)
        for email, reason, detail in consent.query(
            "select email, reason, reason_detail from exports.sync_esp__suppressions "
            "where email like 'consent.%@example.com'"
        )
    }
    wrong = {
        person: listed.get(_email(person))
        for person, (reason, detail) in EXPECTED_REASON.items()
        if listed.get(_email(person)) is None
        or listed[_email(person)][0] != reason
        or (detail is not None and detail not in (listed[_email(person)][1] or ""))
    }
    assert not wrong, wrong
    assert not any(_email(p) in listed for p in [*RESTORED, *CONTROLS])


def test_no_suppressed_person_is_exported_or_in_an_audience(consent):
    exported = _exported_emails(consent)
    leaks = {(person, model) for person in CASES for model, text in exported.items() if _holds(text, _email(person))}
    assert not leaks, sorted(leaks)
    in_audiences = consent.query(
        "select distinct contactability.email from fct_trigger_audiences as audiences "
        "inner join fct_contactability as contactability on audiences.customer_id = contactability.customer_id "
        "where contactability.email like 'consent.%@example.com'"
    )
    audience_emails = {row[0] for row in in_audiences}
    assert not audience_emails & {_email(p) for p in CASES}
    # the controls prove the check can fail: they are exported and in the welcome audience
    assert all(_holds(exported["exports.sync_mailchimp__members"], _email(c)) for c in CONTROLS)
    assert any(_holds(exported["exports.sync_esp__audiences"], _email(c)) for c in CONTROLS)
    assert audience_emails & {_email(c) for c in CONTROLS}


def test_a_later_valid_opt_in_restores_contactability(consent):
    rows = dict(
        consent.query(
            "select email, is_contactable from fct_contactability where email like 'consent.restored.%@example.com'"
        )
    )
    assert rows == {_email(p): True for p in RESTORED}
    members = _exported_emails(consent)["exports.sync_mailchimp__members"]
    assert all(_holds(members, _email(p)) for p in RESTORED)


def test_hostile_rows_stay_accounted_for(consent):
    """Rejected rows keep their reason in audit_rejected_rows; accepted ones are not there."""
    reasons = {
        reason
        for (reason,) in consent.query(
            "select rejection_reason from audit.audit_rejected_rows "
            "where source_table in ('email_subscriptions', 'email_events') and raw_record ilike '%consent.%'"
        )
    }
    assert {"unparseable_updated_at", "invalid_status", "invalid_event_type", "missing_event_id"} <= reasons
