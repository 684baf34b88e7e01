"""Every column of every raw table fed extreme values: the build never fails.

Table-driven: for each raw table, each of its contract columns and each extreme
value, one row is added to the demo data: a valid row of that table (a template
picked from the demo data) with that one column replaced. Each added row has its
own key (a marker `xcase<n>` in the table's key column, or in a second column
when the key itself is the one replaced) and an extra column `extreme_case`
(the contract lets raw tables carry columns it does not list), so its fate can
be traced: rejected with a reason in audit_rejected_rows, or accepted in staging.

Two builds (the suite's rebuild fixture: the demo raw folder copied and rewritten in place, built in a new
folder; every raw table changes, so nothing of the session build's warehouse could be kept), all rows
injected at once in each:
- CSV: every table as text, every column with every value of TEXT_EXTREMES;
- typed Parquet: the numeric and timestamp columns as native DOUBLE, BIGINT,
  TIMESTAMP, TIMESTAMPTZ, DATE and epoch BIGINT, with their own extremes
  (infinities, NaN, int64 limits, years 1 and 9999 and beyond).
"""

from __future__ import annotations

import csv
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import E2E_END_DATE, Build, run_dbt

pytestmark = pytest.mark.e2e

# table -> (contract columns, [(raw column, staging column), ...] where the
# marker goes: the first unless that column is the one replaced), staging model
TABLES: dict[str, tuple[list[str], list[tuple[str, str]], str]] = {
    "crm_contacts": (
        ["contact_id", "email", "first_name", "last_name", "country", "timezone", "created_at", "updated_at"],
        [("contact_id", "contact_id"), ("email", "email")],
        "stg_crm__contacts",
    ),
    "products": (
        ["product_id", "name", "category", "brand", "price", "currency", "url", "image_url", "is_active"],
        [("product_id", "product_id"), ("name", "product_name")],
        "stg_shop__products",
    ),
    "orders": (
        ["order_id", "contact_id", "email", "ordered_at", "status", "currency"],
        [("order_id", "order_id"), ("email", "email")],
        "stg_shop__orders",
    ),
    "order_items": (
        ["order_id", "product_id", "quantity", "unit_price"],
        [("order_id", "order_id"), ("product_id", "product_id")],
        "stg_shop__order_items",
    ),
    "web_events": (
        ["event_id", "anonymous_id", "contact_id", "email", "event_type", "product_id", "occurred_at"],
        [("event_id", "event_id"), ("anonymous_id", "anonymous_id")],
        "stg_web__events",
    ),
    "email_events": (
        ["event_id", "email", "campaign_id", "event_type", "occurred_at", "url"],
        [("event_id", "event_id"), ("email", "email")],
        "stg_esp__email_events",
    ),
    "email_subscriptions": (
        ["email", "status", "updated_at"],
        [("email", "email")],
        "stg_esp__subscriptions",
    ),
    "campaigns": (
        ["campaign_id", "name", "campaign_type", "sent_at"],
        [("campaign_id", "campaign_id"), ("name", "campaign_name")],
        "stg_esp__campaigns",
    ),
    "experiment_assignments": (
        ["experiment_id", "contact_id", "email", "variant", "assigned_at"],
        [("contact_id", "contact_id"), ("email", "email")],
        "stg_experiments__assignments",
    ),
}
EMAIL_COLUMNS = {"email"}
# Person identifiers every injected row gets fresh (its marker), unless they are
# the replaced column: each injected row is its own person, so the rows do not
# link hundreds of strangers through one template id (which identity stitching
# rightly quarantines).
FRESH = {
    "crm_contacts": ["contact_id", "email"],
    "orders": ["contact_id", "email"],
    "web_events": ["anonymous_id", "contact_id", "email"],
    "email_events": ["email"],
    "email_subscriptions": ["email"],
    "experiment_assignments": ["contact_id", "email"],
}

TEXT_EXTREMES: dict[str, str] = {
    "inf": "inf",
    "minus_inf": "-inf",
    "infinity": "infinity",
    "minus_infinity": "-infinity",
    "nan": "NaN",
    "huge_float": "1e308",
    "minus_huge_float": "-1e308",
    "huge_integer": "99999999999999999999",
    "minus_one": "-1",
    "zero": "0",
    "year_1": "0001-01-01",
    "year_9999": "9999-12-31T23:59:59",
    "bc": "290309-12-22 (BC)",
    "empty": "",
    "blank": " ",
    "string_100kb": "x" * 100_000,
    "nul": "a\x00b",
    "control": "a\x01b",
    "crlf": "a\r\nb",
    "tab": "a\tb",
    "ansi": "\x1b[31mred\x1b[0m",
    "rtl": "\u202eمرحبا\u200f",
    "emoji": "😀👍🏽",
    "combining": "e\u0301\u0301\u0301",
    "quote": "a\"b'c",
    "comma": "a,b",
    "sql": "x'; drop table orders; --",
}

# Typed Parquet pass: column -> DuckDB type written, with the values (as text
# that casts to that type) of its kind.
DOUBLE_EXTREMES = ["inf", "-inf", "nan", "1e308", "-1e308", "0", "-1", "4.9e-324", "-0.0", "1e20"]
BIGINT_EXTREMES = ["9223372036854775807", "-9223372036854775808", "0", "-1", "1000000000000000000"]
TIMESTAMP_EXTREMES = [
    "0001-01-01",
    "9999-12-31 23:59:59.999999",
    "infinity",
    "-infinity",
    "290309-12-22 (BC)",
    "294246-12-31",
    "1970-01-01",
]
EPOCH_EXTREMES = [*BIGINT_EXTREMES, "20260101", "99999999", "100000000000000000"]
DATE_EXTREMES = ["0001-01-01", "9999-12-31", "infinity", "-infinity", "5000000-01-01", "1970-01-01"]
TYPED: dict[str, dict[str, tuple[str, list[str]]]] = {
    "crm_contacts": {
        "created_at": ("timestamp", TIMESTAMP_EXTREMES),
        "updated_at": ("timestamptz", TIMESTAMP_EXTREMES),
    },
    "products": {"price": ("double", DOUBLE_EXTREMES), "is_active": ("boolean", ["true", "false"])},
    "orders": {"ordered_at": ("timestamptz", TIMESTAMP_EXTREMES)},
    "order_items": {"quantity": ("bigint", BIGINT_EXTREMES), "unit_price": ("double", DOUBLE_EXTREMES)},
    "web_events": {"occurred_at": ("timestamp_ms", TIMESTAMP_EXTREMES)},
    # epoch seconds as BIGINT (issue 12: Parquet exports with epoch integers)
    "email_events": {"occurred_at": ("epoch_s", EPOCH_EXTREMES)},
    "email_subscriptions": {"updated_at": ("timestamp_s", TIMESTAMP_EXTREMES)},
    "campaigns": {"sent_at": ("timestamptz", TIMESTAMP_EXTREMES)},
    "experiment_assignments": {"assigned_at": ("date", DATE_EXTREMES)},
}

# A demo row is a template when it is plainly valid: clean ids, a known type or
# status, and a time well inside the data (not after as_of, not in the dirt).
OK_TS = "try_cast({0} as timestamptz) between timestamptz '2025-09-01' and timestamptz '2026-05-01'"
CLEAN_EMAIL = "regexp_full_match({0}, '[a-z0-9.]+@[a-z.]+')"
TEMPLATE_WHERE = {
    "crm_contacts": f"""regexp_full_match(contact_id, 'C[0-9]+') and {CLEAN_EMAIL.format("email")}
        and {OK_TS.format("created_at")} and {OK_TS.format("updated_at")}
        and country is not null and timezone is not null""",
    "products": "regexp_full_match(product_id, 'P[0-9]+') and is_active = 'true' and currency = 'GBP' "
    "and try_cast(price as double) > 0 and name is not null",
    "orders": f"""regexp_full_match(order_id, 'O[0-9]+') and status = 'completed' and currency = 'GBP'
        and contact_id in (select contact_id from valid_crm_contacts) and {OK_TS.format("ordered_at")}""",
    "order_items": """order_id in (select order_id from valid_orders)
        and product_id in (select product_id from valid_products)
        and quantity = '1' and try_cast(unit_price as double) > 0""",
    "web_events": f"""event_type = 'page_view' and regexp_full_match(contact_id, 'C[0-9]+')
        and anonymous_id is not null and event_id is not null and {OK_TS.format("occurred_at")}""",
    "email_events": f"""event_type = 'open' and {CLEAN_EMAIL.format("email")} and campaign_id is not null
        and event_id is not null and {OK_TS.format("occurred_at")}""",
    "email_subscriptions": f"status = 'subscribed' and {CLEAN_EMAIL.format('email')} and {OK_TS.format('updated_at')}",
    "campaigns": f"campaign_type = 'broadcast' and name is not null and {OK_TS.format('sent_at')}",
    "experiment_assignments": f"""experiment_id is not null and variant is not null
        and regexp_full_match(contact_id, 'C[0-9]+') and {OK_TS.format("assigned_at")}""",
}
# order of template selection: orders and order_items need the earlier ones
TEMPLATE_ORDER = [
    "crm_contacts",
    "products",
    "orders",
    "order_items",
    "web_events",
    "email_events",
    "email_subscriptions",
    "campaigns",
    "experiment_assignments",
]


@dataclass
class Case:
    case_id: str
    table: str
    column: str  # the replaced column ("" for the unchanged template)
    value_name: str
    marker_column: str
    staging_column: str


def _marker(case_id: str, column: str) -> str:
    return f"{case_id}@example.com" if column in EMAIL_COLUMNS else case_id


def _load_demo(raw: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, dict[str, str]]]:
    """The demo tables as all-text tables demo_<table>, and one template row each."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    templates: dict[str, dict[str, str]] = {}
    for table in TEMPLATE_ORDER:
        columns = TABLES[table][0]
        parquet, csv_path = raw / f"{table}.parquet", raw / f"{table}.csv"
        reader = (
            f"read_parquet('{parquet}')"
            if parquet.exists()
            else f"read_csv('{csv_path}', header = true, all_varchar = true)"
        )
        select = ", ".join(f"cast({c} as varchar) as {c}" for c in columns)
        con.execute(f"create table demo_{table} as select {select} from {reader}")
        con.execute(f"create table valid_{table} as select * from demo_{table} where {TEMPLATE_WHERE[table]}")
        con.execute(
            f"create table template_{table} as select * from valid_{table} order by {columns[0]}, {columns[1]} limit 1"
        )
        rows = con.execute(f"select * from template_{table}").fetchall()
        assert rows, f"no valid template row in the demo {table}"
        templates[table] = dict(zip(columns, rows[0], strict=True))
    return con, templates


def _cases_for(
    table: str, values: dict[str, str], columns: list[str], counter: Iterator[int], template: bool = True
) -> list[tuple[Case, str]]:
    """(case, replacement value) for every column x value, plus the unchanged template."""
    probes = TABLES[table][1]
    out: list[tuple[Case, str]] = []
    pairs = [("", "template", "")] if template else []
    pairs += [(column, name, value) for column in columns for name, value in values.items()]
    for column, value_name, value in pairs:
        case_id = f"xcase{next(counter):05d}"
        marker_column, staging_column = next(((r, s) for r, s in probes if r != column), ("", ""))
        out.append((Case(case_id, table, column, value_name, marker_column, staging_column), value))
    return out


def _rows(
    table: str, template: dict[str, str], cases: list[tuple[Case, str]], order_template: dict[str, str]
) -> tuple[list[dict[str, str | None]], list[dict[str, str | None]]]:
    """The injected rows of one table, and for order_items the valid orders they belong to."""
    rows, support_orders = [], []
    for case, value in cases:
        row: dict[str, str | None] = dict(template)
        if case.marker_column:
            row[case.marker_column] = _marker(case.case_id, case.marker_column)
        for column in FRESH.get(table, []):
            row[column] = _marker(case.case_id, column)
        if case.column:
            row[case.column] = value
        row["extreme_case"] = case.case_id
        rows.append(row)
        if table == "order_items" and row["order_id"] == case.case_id:
            support_orders.append(
                {
                    **order_template,
                    **{column: _marker(case.case_id, column) for column in FRESH["orders"]},
                    "order_id": case.case_id,
                    "extreme_case": None,
                }
            )
    return rows, support_orders


# A broken loader on top of the extremes: every demo email event's time written
# in a US format the project cannot read ('05/12/2026 12:06:22 PM'). The build
# must go on and the rejected-share test must warn about email_events.
BROKEN_LOADER = ("email_events", "occurred_at", "strftime(try_cast({0} as timestamptz), '%m/%d/%Y %I:%M:%S %p')")


def _write_csv(path: Path, columns: list[str], rows: list[tuple]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else v for v in row])


def _clear_tables(dest: Path) -> None:
    """No file left of the raw tables in dest (it may be the folder the demo tables were just loaded from)."""
    dest.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        for path in (dest / f"{table}.csv", dest / f"{table}.parquet"):
            path.unlink(missing_ok=True)


def build_csv_raw(raw: Path, dest: Path) -> list[Case]:
    """Every table as CSV text with every TEXT_EXTREMES value in every column (dest may be raw itself)."""
    con, templates = _load_demo(raw)
    _clear_tables(dest)
    counter = itertools.count(1)
    all_cases: list[Case] = []
    injected: dict[str, list[dict]] = {table: [] for table in TABLES}
    for table in TEMPLATE_ORDER:
        columns = TABLES[table][0]
        cases = list(_cases_for(table, TEXT_EXTREMES, columns, counter))
        rows, support = _rows(table, templates[table], cases, templates["orders"])
        injected[table].extend(rows)
        injected["orders"].extend(support)
        all_cases.extend(case for case, _ in cases)
    for table in TEMPLATE_ORDER:
        columns = [*TABLES[table][0], "extreme_case"]
        select = "*"
        if table == BROKEN_LOADER[0]:
            select = f"* replace ({BROKEN_LOADER[2].format(BROKEN_LOADER[1])} as {BROKEN_LOADER[1]})"
        demo = con.execute(f"select {select}, null as extreme_case from demo_{table}").fetchall()
        extra = [tuple(row.get(c) for c in columns) for row in injected[table]]
        _write_csv(dest / f"{table}.csv", columns, [*demo, *extra])
    con.close()
    return all_cases


def _typed_expression(column: str, kind: str) -> str:
    if kind == "epoch_s":
        return (
            f"coalesce(try_cast({column} as bigint), "
            f"cast(epoch(try_cast({column} as timestamptz)) as bigint)) as {column}"
        )
    if kind == "timestamp":
        return (
            f"coalesce(try_cast({column} as timestamp), timezone('UTC', try_cast({column} as timestamptz))) as {column}"
        )
    return f"try_cast({column} as {kind}) as {column}"


def build_parquet_raw(raw: Path, dest: Path) -> list[Case]:
    """Every table as Parquet; TYPED columns native, fed their own extremes (dest may be raw itself)."""
    con, templates = _load_demo(raw)
    _clear_tables(dest)
    counter = itertools.count(1)
    all_cases: list[Case] = []
    injected: dict[str, list[dict]] = {table: [] for table in TABLES}
    for table in TEMPLATE_ORDER:
        cases = _cases_for(table, {}, [], counter)  # the unchanged template
        for column, (_, values) in TYPED[table].items():
            cases.extend(_cases_for(table, {v: v for v in values}, [column], counter, template=False))
        rows, support = _rows(table, templates[table], cases, templates["orders"])
        injected[table].extend(rows)
        injected["orders"].extend(support)
        all_cases.extend(case for case, _ in cases)
    for table in TEMPLATE_ORDER:
        columns = TABLES[table][0]
        con.execute(f"create table all_{table} as select *, cast(null as varchar) as extreme_case from demo_{table}")
        if injected[table]:
            placeholders = ", ".join("?" for _ in [*columns, "extreme_case"])
            con.executemany(
                f"insert into all_{table} values ({placeholders})",
                [[row.get(c) for c in [*columns, "extreme_case"]] for row in injected[table]],
            )
        select = ", ".join(_typed_expression(c, TYPED[table][c][0]) if c in TYPED[table] else c for c in columns)
        con.execute(
            f"copy (select {select}, extreme_case from all_{table}) to '{dest / table}.parquet' (format parquet)"
        )
    con.close()
    return all_cases


@pytest.fixture(scope="module")
def csv_build(rebuild) -> tuple[Build, list[Case]]:
    # check=False: check_build says which nodes failed
    build = rebuild("extreme_csv", lambda raw: build_csv_raw(raw, raw), check=False)
    return build, build.planted


@pytest.fixture(scope="module")
def parquet_build(rebuild) -> tuple[Build, list[Case]]:
    build = rebuild("extreme_parquet", lambda raw: build_parquet_raw(raw, raw), check=False)
    return build, build.planted


def relation(build: Build, model: str) -> str:
    """schema.table of a model in the build's warehouse, from the build's manifest (models move between folders)."""
    manifest = json.loads((build.work_dir / "target" / "manifest.json").read_text())
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model)
    return f"{node['schema']}.{node['alias'] or node['name']}"


def fates(build: Build, cases: list[Case]) -> dict[str, list[str]]:
    """case id -> every place its row was found: 'rejected:<reason>', 'accepted'."""
    found: dict[str, list[str]] = {case.case_id: [] for case in cases}
    for case_id, reason in build.query(
        "select json_extract_string(raw_record, '$.extreme_case'), rejection_reason "
        "from audit.audit_rejected_rows where json_extract_string(raw_record, '$.extreme_case') like 'xcase%'"
    ):
        if case_id in found:
            found[case_id].append(f"rejected:{reason}")
    by_table: dict[str, set[tuple[str, str]]] = {}
    for case in cases:
        if case.staging_column:
            by_table.setdefault(case.table, set()).add((case.staging_column, TABLES[case.table][2]))
    staging_column_of = {c.case_id: c.staging_column for c in cases}
    for table, probes in by_table.items():
        table_cases = {case.case_id for case in cases if case.table == table}
        for column, model in probes:
            for (case_id,) in build.query(
                f"select distinct regexp_extract({column}, '(xcase[0-9]+)', 1) "
                f"from staging.{model} where {column} like '%xcase%'"
            ):
                if case_id in table_cases and staging_column_of[case_id] == column:
                    found[case_id].append("accepted")
    return found


# Timestamp and number columns may keep an extreme row only for these values;
# any other accepted value there was silently read as null or as something else.
TIMESTAMP_COLUMNS = {"created_at", "updated_at", "ordered_at", "occurred_at", "sent_at", "assigned_at"}
NUMBER_COLUMNS = {"price", "quantity", "unit_price"}
ACCEPTED_TEXT = {
    ("products", "price"): {"zero", "empty", "blank"},  # a missing list price is unknown
    ("order_items", "quantity"): {"minus_one"},  # a return
    ("order_items", "unit_price"): {"zero"},
    ("campaigns", "sent_at"): {"empty", "blank"},  # a missing send time is unknown
    ("crm_contacts", "created_at"): {"empty", "blank"},  # a missing signup time is unknown
}
ACCEPTED_TYPED = {
    **{(table, column): {"1970-01-01"} for table, columns in TYPED.items() for column in columns},
    ("products", "price"): {"0", "4.9e-324", "-0.0"},
    ("order_items", "unit_price"): {"0", "4.9e-324", "-0.0"},
    ("order_items", "quantity"): {"-1"},
    ("email_events", "occurred_at"): {"20260101"},  # 8 digits: a compact date
    ("products", "is_active"): {"true", "false"},
}
# Reasons the typed pass must give (the value names are the values)
EXPECTED_TYPED = {
    ("products", "price", "inf"): "rejected:price_out_of_range",
    ("products", "price", "nan"): "rejected:price_out_of_range",
    ("products", "price", "1e20"): "rejected:price_out_of_range",
    ("order_items", "quantity", "9223372036854775807"): "rejected:quantity_out_of_range",
    ("order_items", "unit_price", "-inf"): "rejected:unit_price_out_of_range",
    ("order_items", "unit_price", "1e308"): "rejected:unit_price_out_of_range",
    ("orders", "ordered_at", "-infinity"): "rejected:out_of_range_ordered_at",
    ("crm_contacts", "created_at", "0001-01-01"): "rejected:out_of_range_created_at",
    ("web_events", "occurred_at", "9999-12-31 23:59:59.999999"): "rejected:out_of_range_occurred_at",
    ("email_events", "occurred_at", "9223372036854775807"): "rejected:unparseable_occurred_at",
    ("email_events", "occurred_at", "0"): "rejected:unparseable_occurred_at",
}


def check_build(build: Build, cases: list[Case], name: str) -> None:
    result = build.result
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-3000:]
    run_results = json.loads((build.work_dir / "target" / "run_results.json").read_text())["results"]
    failed = [(r["unique_id"], r["status"], (r.get("message") or "")[:300]) for r in run_results]
    failed = [r for r in failed if r[1] not in ("success", "pass", "warn", "no-op")]
    assert not failed, failed
    unaccounted = build.query(
        "select source_table, unaccounted_rows from audit.audit_row_counts where unaccounted_rows != 0"
    )
    assert not unaccounted, unaccounted
    malformed = build.query("select source_table, line_number, problem from audit.audit_malformed_raw_lines")
    found = fates(build, cases)
    (build.work_dir / f"fates_{name}.json").write_text(
        json.dumps(
            {c.case_id: [c.table, c.column, c.value_name, found[c.case_id]] for c in cases},
            indent=1,
        )
    )
    lost = [(c.table, c.column, c.value_name) for c in cases if len(found[c.case_id]) != 1]
    assert not lost, f"rows neither rejected nor accepted exactly once: {lost[:40]}; malformed lines: {malformed[:20]}"
    accepted_ok = ACCEPTED_TEXT if name == "csv" else ACCEPTED_TYPED
    silently_read = [
        (c.table, c.column, c.value_name)
        for c in cases
        if c.column in TIMESTAMP_COLUMNS | NUMBER_COLUMNS
        and found[c.case_id] == ["accepted"]
        and c.value_name not in accepted_ok.get((c.table, c.column), set())
    ]
    assert not silently_read, f"extreme times or numbers accepted instead of rejected: {silently_read}"
    if name == "parquet":
        reasons = {(c.table, c.column, c.value_name): found[c.case_id] for c in cases}
        wrong = {key: reasons.get(key) for key, want in EXPECTED_TYPED.items() if reasons.get(key) != [want]}
        assert not wrong, wrong
    templates = [(c.table, found[c.case_id]) for c in cases if c.column == ""]
    assert all(fate == ["accepted"] for _, fate in templates), templates
    for mart in (
        *(relation(build, model) for model in ("dim_customers", "fct_customer_segments")),
        *(relation(build, model) for model in ("fct_customer_recommendations", "ml_customer_scores")),
        "exports.sync_mailchimp__members",
    ):
        assert build.scalar(f"select count(*) from {mart}") > 0, mart


def test_every_extreme_text_value_in_every_column_is_rejected_or_kept(csv_build):
    build, cases = csv_build
    assert len(cases) > 1000
    check_build(build, cases, "csv")


def test_a_broken_loader_warns_and_the_build_goes_on(csv_build):
    """All email event times unreadable: WARN from assert_rejected_share_is_usual, exit 0."""
    build, _ = csv_build
    assert build.result.returncode == 0
    run_results = json.loads((build.work_dir / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"]: r["status"] for r in run_results}
    assert status["test.email_personalization.assert_rejected_share_is_usual"] == "warn"
    assert "assert_rejected_share_is_usual" in build.result.stdout
    compiled = next((build.work_dir / "target" / "compiled").rglob("assert_rejected_share_is_usual.sql"))
    warned = {row[0]: row for row in build.query(compiled.read_text())}
    assert "email_events" in warned
    assert warned["email_events"][4] > 0.9  # rejected share
    assert warned["email_events"][6].startswith("unparseable_occurred_at")  # top reasons


def test_every_extreme_typed_value_is_rejected_or_kept(parquet_build):
    build, cases = parquet_build
    check_build(build, cases, "parquet")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"orderz": 0.1}, "'orderz': 0.1 must map a raw table"),
        ({"orders": "lots"}, "'orders': lots must map a raw table"),
        ("orders=0.1", "must be a map of raw table to share"),
    ],
)
def test_rejected_share_thresholds_are_checked(demo_data, tmp_path, overrides, message):
    """A per-table threshold for a table that does not exist, or that is not a number, stops compilation."""
    raw, _, _ = demo_data
    build = run_dbt(
        ["compile", "-s", "assert_rejected_share_is_usual"],
        raw,
        tmp_path,
        {"as_of_date": E2E_END_DATE, "rejected_share_warn_table_thresholds": overrides},
    )
    assert build.result.returncode != 0
    assert message in build.result.stdout
