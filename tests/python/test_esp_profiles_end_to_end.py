"""What each ESP does with a synced profile row (issue 13).

A placeholder such as FNAME = 'there' or firstname = '' overwrites the real
name the ESP holds; Mailchimp refuses to re-subscribe a member it holds as
unsubscribed or cleaned; HubSpot takes dates only as epoch milliseconds at
midnight UTC and enumerations only among their options; Klaviyo subscribes no
one from a profile import. Checked on the shared demo build, and on one build
with hostile rows: members who unsubscribed or were cleaned in the ESP after
subscribing, and a contact whose first name the CRM holds as blank.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import consent_rows_build

pytestmark = pytest.mark.e2e

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
NOT_MERGE_FIELDS = {"email_address", "status", "status_if_new", "row_hash", "updated_at"}
PROFILE_NAME_FIELDS = {
    "exports.sync_mailchimp__members": ('"FNAME"', '"LNAME"'),
    "exports.sync_hubspot__contacts": ("firstname", "lastname"),
    "exports.sync_klaviyo__profiles": ("first_name", "last_name"),
}
PLACEHOLDERS = ("", "there", "unknown", "n/a", "null")


def _columns(build, table):
    schema, name = table.split(".")
    return [
        r[0]
        for r in build.query(
            f"""select column_name from information_schema.columns
            where table_schema = '{schema}' and table_name = '{name}' order by ordinal_position"""
        )
    ]


def _placeholder_count(build, table, column):
    values = ", ".join(f"'{p}'" for p in PLACEHOLDERS)
    return build.scalar(f"select count(*) from {table} where lower(trim({column})) in ({values})")


def test_synced_names_carry_the_data_or_null(built):
    for table, columns in PROFILE_NAME_FIELDS.items():
        for column in columns:
            assert _placeholder_count(built, table, column) == 0, (table, column)
    # unknown names exist in the demo data and stay null instead of taking a fallback
    assert built.scalar('select count(*) from exports.sync_mailchimp__members where "FNAME" is null') > 0
    # and a known name is the customer's own
    mismatched = built.scalar(
        """
        select count(*)
        from exports.sync_mailchimp__members as m
        inner join main.fct_customer_personalization as p on m.email_address = p.email
        where m."FNAME" is distinct from p.first_name
        """
    )
    assert mismatched == 0


def test_mailchimp_never_sends_subscribed_as_status(built):
    rows = built.query("select status, status_if_new, count(*) from exports.sync_mailchimp__members group by all")
    assert rows
    assert all(status is None and if_new == "subscribed" for status, if_new, _ in rows), rows


def test_mailchimp_merge_fields_and_their_definitions_agree(built):
    definitions = pd.read_csv(SEEDS / "mailchimp_merge_fields.csv", dtype=str, keep_default_na=False)
    exported = [c for c in _columns(built, "exports.sync_mailchimp__members") if c not in NOT_MERGE_FIELDS]
    assert sorted(definitions["tag"]) == sorted(exported)
    types = dict(zip(definitions["tag"], definitions["type"], strict=True))
    assert set(types.values()) <= {"text", "number", "date", "url", "imageurl"}
    assert types["SENDHOUR"] == "number"
    assert all(types[t] == "url" for t in exported if t.endswith("URL"))
    assert all(types[t] == "imageurl" for t in exported if t.endswith("IMG"))
    # the greeting's fallback lives in Mailchimp (the merge field's default), not in the data
    assert dict(zip(definitions["tag"], definitions["default_value"], strict=True))["FNAME"] == "there"
    # url fields hold absolute web addresses, as Mailchimp's url and imageurl types need
    for tag in [t for t in exported if types[t] in ("url", "imageurl")]:
        bad = built.scalar(
            f"""select count(*) from exports.sync_mailchimp__members
            where "{tag}" is not null and not regexp_matches("{tag}", '^https?://')"""
        )
        assert bad == 0, tag
    # a date merge field's value is in the date_format the field is created with
    formats = dict(zip(definitions["tag"], definitions["date_format"], strict=True))
    assert formats["NEXTORDER"] == "MM/DD/YYYY"
    rows = built.query(
        """
        select m."NEXTORDER", p.expected_next_order_date
        from exports.sync_mailchimp__members as m
        inner join main.fct_customer_personalization as p on m.email_address = p.email
        """
    )
    dated = [(text, day) for text, day in rows if day is not None]
    assert len(dated) > 100
    assert all(text == day.strftime("%m/%d/%Y") for text, day in dated)
    assert all(text is None for text, day in rows if day is None)


def test_hubspot_dates_are_midnight_utc_epoch_ms_and_enumerations_are_shipped(built):
    properties = pd.read_csv(SEEDS / "hubspot_properties.csv", dtype=str, keep_default_na=False)
    exported = [c for c in _columns(built, "exports.sync_hubspot__contacts") if c not in ("row_hash", "updated_at")]
    assert sorted(properties["name"]) == sorted(exported)
    rows = built.query(
        """
        select h.expected_next_order_date, s.expected_next_order_date
        from exports.sync_hubspot__contacts as h
        inner join main.fct_customer_scores as s on h.ep_customer_id = s.customer_id
        where h.expected_next_order_date is not null
        """
    )
    assert len(rows) > 100
    for millis, day in rows:
        assert millis % 86_400_000 == 0
        assert pd.Timestamp(millis, unit="ms", tz="UTC") == pd.Timestamp(day, tz="UTC")
    # a datetime property is the instant's epoch milliseconds
    instants = built.query(
        """
        select h.last_order_at, f.last_order_at
        from exports.sync_hubspot__contacts as h
        inner join main.fct_customer_features as f on h.ep_customer_id = f.customer_id
        """
    )
    assert sum(millis is not None for millis, _ in instants) > 100
    for millis, instant in instants:
        if instant is None:
            assert millis is None
        else:
            assert pd.Timestamp(millis, unit="ms") == pd.Timestamp(instant)
    for prop in properties[properties["type"].isin(["enumeration", "bool"])].itertuples():
        options = set(prop.options.split(";"))
        values = {
            str(v[0]).lower() if isinstance(v[0], bool) else v[0]
            for v in built.query(
                f"select distinct {prop.name} from exports.sync_hubspot__contacts where {prop.name} is not null"
            )
        }
        assert values, prop.name
        assert values <= options, (prop.name, values - options)


def test_klaviyo_subscriptions_hold_every_contactable_profile_with_its_consent_time(built):
    subscriptions = dict(built.query("select email, consented_at from exports.sync_klaviyo__subscriptions"))
    profiles = {r[0] for r in built.query("select email from exports.sync_klaviyo__profiles")}
    assert subscriptions
    assert set(subscriptions) == profiles
    assert {r[0] for r in built.query("select distinct consent from exports.sync_klaviyo__subscriptions")} == {
        "SUBSCRIBED"
    }
    consent = dict(
        built.query(
            """select email, subscription_updated_at from main.fct_contactability
            where is_contactable and subscription_status = 'subscribed'"""
        )
    )
    assert all(consent[email] == at for email, at in subscriptions.items())


def esp_leavers(built):
    """Members who left in the ESP after subscribing, and a contact whose first name is blank: the three
    emails (unsubscribed, cleaned, blank name) and the function that plants them into a raw folder."""
    members = [
        r[0]
        for r in built.query(
            """
            select p.email from main.fct_customer_personalization as p
            where p.subscribed_at < timestamp '2026-05-01' and p.first_name is not null
            order by p.email limit 3
            """
        )
    ]
    unsubscribed, cleaned, blank_name = members
    contact_id = built.scalar(f"select contact_id from main.fct_customer_personalization where email = '{blank_name}'")

    def leave_and_blank(raw):
        subs_path = raw / "email_subscriptions.csv"
        subs = pd.read_csv(subs_path, dtype=str, keep_default_na=False)
        later = [
            {"email": unsubscribed, "status": "unsubscribed", "updated_at": "2026-05-31T09:00:00+00:00"},
            {"email": cleaned.upper(), "status": "cleaned", "updated_at": "2026-05-31T09:00:00+00:00"},
        ]
        pd.concat([subs, pd.DataFrame(later)], ignore_index=True).to_csv(subs_path, index=False)
        contacts_path = raw / "crm_contacts.csv"
        contacts = pd.read_csv(contacts_path, dtype=str, keep_default_na=False)
        assert (contacts["contact_id"] == contact_id).any()
        contacts.loc[contacts["contact_id"] == contact_id, "first_name"] = "  "
        contacts.to_csv(contacts_path, index=False)

    return (unsubscribed, cleaned, blank_name), leave_and_blank


@pytest.fixture(scope="module")
def hostile(built, rebuild, tmp_path_factory):
    """The build with these rows, shared with test_consent_end_to_end's (conftest.consent_rows_build)."""
    from test_consent_end_to_end import _plant as plant_consent

    (unsubscribed, cleaned, blank_name), plant = esp_leavers(built)
    return consent_rows_build(tmp_path_factory, rebuild, plant_consent, plant), unsubscribed, cleaned, blank_name


def test_members_who_left_in_the_esp_are_never_sent_as_subscribed(hostile):
    build, unsubscribed, cleaned, _ = hostile
    for email in (unsubscribed, cleaned):
        for table, key in (
            ("exports.sync_mailchimp__members", "email_address"),
            ("exports.sync_hubspot__contacts", "email"),
            ("exports.sync_klaviyo__profiles", "email"),
            ("exports.sync_klaviyo__subscriptions", "email"),
        ):
            assert build.scalar(f"select count(*) from {table} where {key} = '{email}'") == 0, (table, email)
    reasons = dict(
        build.query(
            f"select email, reason from exports.sync_esp__suppressions where email in ('{unsubscribed}', '{cleaned}')"
        )
    )
    assert reasons == {unsubscribed: "unsubscribed", cleaned: "cleaned"}
    assert build.scalar("select count(*) from exports.sync_mailchimp__members where status = 'subscribed'") == 0


def test_a_blank_crm_name_is_synced_as_null_not_as_a_placeholder(hostile):
    build, _, _, email = hostile
    assert build.query(f"""select "FNAME" from exports.sync_mailchimp__members where email_address = '{email}'""") == [
        (None,)
    ]
    assert build.query(f"select firstname from exports.sync_hubspot__contacts where email = '{email}'") == [(None,)]
    assert build.query(f"select first_name from exports.sync_klaviyo__profiles where email = '{email}'") == [(None,)]
    for table, columns in PROFILE_NAME_FIELDS.items():
        for column in columns:
            assert _placeholder_count(build, table, column) == 0, (table, column)
