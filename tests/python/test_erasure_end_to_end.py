"""Erasure leaves nothing: after a build with an erasure request, no relation in
any schema, no export file, no saved model, no log and no compiled artefact
holds anything of the erased person.

One build on the demo data with two people added and erased:
- Zoë, whose email is internationalised (validation used to null it, so the
  erasure matched nobody) and whose CRM file arrives with UPPER-CASE headers
  (audit_rejected_rows used to read '$.email' case-sensitively);
- Quill, with orders, order lines, web events (identified and anonymous),
  experiment assignments and rows rejected for other reasons.
A third person, Esme, exists only in the ESP's files (email events and
subscriptions), whose base models call is_erased_row too.
"""

from __future__ import annotations

import hashlib

import duckdb
import pandas as pd
import pytest
from conftest import E2E_END_DATE, raw_timestamp, read_raw_table, run_dbt, write_raw_table

ZOE = {
    "contact_id": "C-ERASE-ZOE",
    "email": " Zoë.Forgetsby@Exämple.DE ",
    "first_name": "Zoëtrope",
    "last_name": "Forgetsby",
    "anonymous_id": "anon-erase-zoe",
    "tag": "Z",
}
QUILL = {
    "contact_id": "C-ERASE-QUILL",
    "email": "quill.oblivion@example.com",
    "first_name": "Quillimena",
    "last_name": "Oblivionson",
    "anonymous_id": "anon-erase-quill",
    "tag": "Q",
}
ESME = {"email": "esme.esponly@example.com"}


def _sha(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _ts(frame, column, value: str):
    return raw_timestamp(frame, column, pd.Timestamp(value))


def _add(raw, table, rows):
    frame, path = read_raw_table(raw, table)
    template = frame.iloc[0].to_dict()
    new = pd.DataFrame([{**template, **row} for row in rows])
    for column, dtype in frame.dtypes.items():
        if str(dtype).startswith("datetime"):
            new[column] = pd.to_datetime(new[column])
    write_raw_table(pd.concat([frame, new[frame.columns]], ignore_index=True), path)
    return frame


def _add_person(raw, person):
    tag = person["tag"]
    contacts, path = read_raw_table(raw, "crm_contacts")
    row = dict.fromkeys(contacts.columns, "")
    row.update(
        {
            "contact_id": person["contact_id"],
            "email": person["email"],
            "first_name": person["first_name"],
            "last_name": person["last_name"],
            "country": "DE",
            "timezone": "Europe/Berlin",
            "created_at": "2025-01-05T10:00:00",
            "updated_at": "2025-01-06T10:00:00",
        }
    )
    write_raw_table(pd.concat([contacts, pd.DataFrame([row])], ignore_index=True), path)
    orders, _ = read_raw_table(raw, "orders")
    items, _ = read_raw_table(raw, "order_items")
    product_id = items.iloc[0]["product_id"]
    new_orders = []
    for i, when in enumerate(["2026-02-01T10:00:00", "2026-03-01T10:00:00", "not a date"]):
        new_orders.append(
            {
                "order_id": f"O-ERASE-{tag}-{i}",
                "contact_id": person["contact_id"],
                "email": person["email"],
                "ordered_at": when if when == "not a date" else _ts(orders, "ordered_at", when),
                "status": "completed",
            }
        )
    _add(raw, "orders", new_orders)
    _add(raw, "order_items", [{"order_id": o["order_id"], "product_id": product_id} for o in new_orders])
    events, _ = read_raw_table(raw, "web_events")
    _add(
        raw,
        "web_events",
        [
            {
                "event_id": f"w-erase-{tag}-login",
                "anonymous_id": person["anonymous_id"],
                "contact_id": person["contact_id"],
                "email": person["email"],
                "event_type": "page_view",
                "product_id": None,
                "occurred_at": _ts(events, "occurred_at", "2026-02-01T09:00:00"),
            },
            {
                "event_id": f"w-erase-{tag}-view",
                "anonymous_id": person["anonymous_id"],
                "contact_id": None,
                "email": None,
                "event_type": "product_view",
                "product_id": product_id,
                "occurred_at": _ts(events, "occurred_at", "2026-02-02T09:00:00"),
            },
        ],
    )
    _add(
        raw,
        "experiment_assignments",
        [{"contact_id": person["contact_id"], "email": person["email"], "assigned_at": "2026-02-01T00:00:00"}],
    )


JAVASCRIPT_URL = "javascript:alert(document.cookie)//"
DATA_IMAGE = "data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+"


def _plant_unsafe_urls(raw):
    """The best-selling products' link and image become a javascript: and a data: URL."""
    products, path = read_raw_table(raw, "products")
    items, _ = read_raw_table(raw, "order_items")
    top = items["product_id"].value_counts().index[:3]
    products.loc[products["product_id"].isin(top), "url"] = JAVASCRIPT_URL
    products.loc[products["product_id"].isin(top), "image_url"] = DATA_IMAGE
    write_raw_table(products, path)


def _plant(raw):
    """Zoë and Quill added (the CRM file with upper-case headers), Esme in the ESP's files, unsafe URLs."""
    _add_person(raw, ZOE)
    _add_person(raw, QUILL)
    # the CRM file arrives with upper-case headers
    contacts_path = raw / "crm_contacts.csv"
    lines = contacts_path.read_text().split("\n", 1)
    contacts_path.write_text(lines[0].upper() + "\n" + lines[1])
    _add(
        raw,
        "email_events",
        [{"event_id": "e-erase-esme", "email": ESME["email"], "event_type": "open", "url": None}],
    )
    _add(raw, "email_subscriptions", [{"email": ESME["email"], "status": "subscribed"}])
    _plant_unsafe_urls(raw)


@pytest.fixture(scope="module")
def erased(rebuild):
    build = rebuild(
        "erasure",
        _plant,
        env=lambda root: {"EXPORT_DIR": root / "exports"},
        dbt_vars={
            "as_of_date": E2E_END_DATE,
            "export_format": "csv",
            # one request by var, the others by the same var's list
            "erasure_email_sha256s": [_sha(ZOE["email"]), _sha(QUILL["email"]).upper(), _sha(ESME["email"])],
        },
    )
    return build, build.work_dir.parent / "exports"


def _needles(person):
    """The person's email (as given and lowercased), names, ids and order ids."""
    found = [person["email"].strip(), person["email"].strip().lower()]
    found += [person[key] for key in ("first_name", "last_name", "contact_id", "anonymous_id")]
    return [*found, f"O-ERASE-{person['tag']}"]


def _relations_holding(build, needles):
    """Every (schema.table, needle, rows) where a row, cast whole to text, contains the needle.

    Every schema (staging, intermediate, marts, audit, exports, seeds, main, ...) and
    every column type: the whole row is cast to text, so JSON, lists and structs count.
    """
    hits = []
    with duckdb.connect(str(build.db_path), read_only=True) as con:
        relations = con.execute(
            """
            select table_schema, table_name from information_schema.tables
            where table_catalog = current_database()
                -- the user's raw files, read in place, are the input, not what the
                -- project writes (raw_files.malformed_lines, a table, is scanned)
                and not (table_schema = 'raw_files' and table_type = 'VIEW')
            """
        ).fetchall()
        # one scan of each relation counts the rows holding each needle (a view is computed once, not per needle)
        counts = ", ".join("count(*) filter (where position(? in row_text) > 0)" for _ in needles)
        for schema, table in relations:
            found = con.execute(
                f'select {counts} from (select cast(t as varchar) as row_text from "{schema}"."{table}" as t)',
                needles,
            ).fetchone()
            hits += [
                (f"{schema}.{table}", needle, count) for needle, count in zip(needles, found, strict=True) if count
            ]
    return hits


def _files_holding(folder, needles):
    hits = []
    if not folder.exists():
        return hits
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        content = path.read_bytes()
        hits += [(str(path), needle) for needle in needles if needle.encode() in content]
    return hits


@pytest.mark.parametrize("person", [ZOE, QUILL], ids=["internationalised_email", "orders_web_experiments"])
def test_no_relation_in_any_schema_holds_anything_of_an_erased_person(erased, person):
    build, _ = erased
    assert _relations_holding(build, _needles(person)) == []


@pytest.mark.parametrize("person", [ZOE, QUILL], ids=["internationalised_email", "orders_web_experiments"])
def test_no_export_file_saved_model_log_or_compiled_file_holds_an_erased_person(erased, person):
    build, exports = erased
    assert any(exports.glob("*.csv")), "the build wrote no export file to scan"
    folders = [exports, build.work_dir / "models", build.work_dir / "logs", build.work_dir / "target"]
    assert [hit for folder in folders for hit in _files_holding(folder, _needles(person))] == []


def test_erased_rows_are_counted_with_nothing_kept(erased):
    build, _ = erased
    # every row of theirs is counted as rejected 'erased', so raw = accepted + rejected + duplicates holds
    assert build.scalar("select sum(unaccounted_rows) from audit.audit_row_counts") == 0
    erased_rows = dict(
        build.query(
            "select source_table, count(*) from audit.audit_rejected_rows "
            "where rejection_reason = 'erased' group by source_table"
        )
    )
    # 2 CRM rows, 6 orders (one unparseable: erased before any other reason), 6 order lines,
    # 4 web events (the anonymous view too), 2 assignments, plus any the demo data held of theirs
    assert erased_rows["crm_contacts"] == 2
    assert erased_rows["orders"] == 6
    assert erased_rows["order_items"] == 6
    assert erased_rows["web_events"] == 4
    assert erased_rows["experiment_assignments"] == 2
    assert (
        build.scalar(
            "select count(*) from audit.audit_rejected_rows where rejection_reason = 'erased' "
            "and (raw_key is not null or cast(raw_record as varchar) != '{\"erased\": true}')"
        )
        == 0
    )


def test_the_deletion_feed_names_erased_people_by_hashes_only(erased):
    build, _ = erased
    rows = build.query(
        "select sync_action, email, email_sha256, email_md5, external_id "
        "from exports.sync_esp__deletions where reason = 'erased'"
    )
    assert {action for action, *_ in rows} == {"delete"}
    assert {email for _, email, *_ in rows} == {None}
    for person in (ZOE, QUILL):
        email = person["email"].strip().lower()
        assert ("delete", None, _sha(email), hashlib.md5(email.encode()).hexdigest(), _md5(f"email:{email}")) in rows
        assert _md5(f"contact:{person['contact_id']}") in {external_id for *_, external_id in rows}
    # everyone the ESPs may not mail is there to unsubscribe, by email
    assert build.scalar(
        "select count(*) from exports.sync_esp__deletions where sync_action = 'unsubscribe'"
    ) == build.scalar("select count(*) from exports.sync_esp__suppressions")


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def test_only_http_urls_reach_links_images_and_export_files(erased):
    build, exports = erased
    assert dict(build.query("select source_column, unsafe_urls from audit.audit_unsafe_urls")) == {
        "url": 3,
        "image_url": 3,
    }
    needles = ["javascript:", "data:image"]
    # only the base table, which classifies raw rows for the audits, still holds them
    assert {relation for relation, *_ in _relations_holding(build, needles)} <= {"staging.base_shop__products"}
    assert _files_holding(exports, needles) == []


def test_an_erasure_request_that_is_not_a_sha256_digest_fails_with_a_clear_error(demo_data, tmp_path):
    raw, _, _ = demo_data
    run = run_dbt(
        ["compile", "--select", "int_erasure_requests"],
        raw,
        tmp_path,
        {"erasure_email_sha256s": ["zoë@exämple.de"]},
    )
    assert run.result.returncode != 0
    output = run.result.stdout + run.result.stderr
    assert "var erasure_email_sha256s: value 1 is not a SHA-256 hex digest" in output
    assert "exämple" not in output


def test_a_person_known_only_to_the_esp_is_erased_too(erased):
    build, _ = erased
    assert _relations_holding(build, [ESME["email"]]) == []
