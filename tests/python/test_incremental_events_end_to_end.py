"""Incremental event models (macros/event_slice.sql) hold what a full build holds: the web and email event base
models, the orders and their lines (macros/order_item_slice.sql), the web sessions (int_web_event_sessions) and
the web and email events attributed to customers (macros/attribution_slice.sql), their daily rollups, the
customer features and the recommender's interactions (macros/recommendation_events_refresh.sql).

The demo data is built once as of its end; then, as an hourly loader would, an hour of new events lands
(scripts/demo_data/hour.py) with rows that test the slice's edges, and the same warehouse is built again an
hour later. That run reads only the slice (its compiled SQL says so), and its tables must equal, row for row,
what `--full-refresh` makes of the same raw data. A row that arrives later than the lookback cannot be in a
slice: the next run sees that rows before the slice changed and processes everything, again equal to a
full refresh. So does a new erasure request, which changes what every row is classified with.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import E2E_END_DATE, assert_ok, copy_raw, read_raw_table, run_dbt, write_raw_table
from demo_data.hour import _as_folder, append_hour

MODELS = ("base_web__events", "base_esp__email_events")
ORDERS, LINES = "base_shop__orders", "base_shop__order_items"
SESSIONS = "int_web_event_sessions"
# every table compared, by schema
ATTRIBUTED = ("int_web_events_sessionized", "int_email_events_attributed")
ROLLUPS = ("int_web_events_rolled_to_days", "int_email_events_rolled_to_days")
FEATURES = "int_customer_features"
INTERACTIONS = "int_recommendation_events"
TABLES = {
    **dict.fromkeys((*MODELS, ORDERS, LINES), "staging"),
    SESSIONS: "intermediate",
    **dict.fromkeys(ATTRIBUTED, "intermediate"),
    **dict.fromkeys(ROLLUPS, "intermediate"),
    FEATURES: "intermediate",
    INTERACTIONS: "intermediate",
}
# seeds and models up to the event staging models and the sessions (no data tests: the comparison is the test)
BUILD = [
    "build",
    "--select",
    "+stg_web__events",
    "+stg_esp__email_events",
    "+stg_esp__unreadable_stop_signals",
    "+stg_shop__order_items",
    "+int_web_events_sessionized",
    "+int_email_events_attributed",
    "+int_customer_features",
    "+int_recommendation_events",
    "--exclude-resource-type",
    "test",
    "unit_test",
]
T0 = datetime.fromisoformat(E2E_END_DATE)
CROSSING = T0 - timedelta(days=4)  # the first hourly run's slice starts then: its newest event is the day before T0
T1 = T0 + timedelta(hours=1)
VARS_T0 = {"as_of_date": E2E_END_DATE}
VARS_T1 = {"as_of_date": T1.strftime("%Y-%m-%d %H:%M:%S")}


def _last_sql(work: Path, model: str, stage: str = "compiled") -> str:
    """The SQL dbt wrote for model's last run: its compiled select, or ("run") the statements it ran."""
    return next((work / "target" / stage).rglob(f"{model}.sql")).read_text()


def _slice_run(work: Path, model: str) -> str:
    """What the last run of model replaced: a start day ('2026-05-29') or 'all', from its compiled SQL."""
    sql = _last_sql(work, model)
    return re.search(r"/\* (?:event|order_item)_slice: (\S+)", sql).group(1)


def _reads_keys(work: Path, model: str) -> bool:
    """Did the last slice run of a base model read raw rows before the slice for their key (event_slice.sql)?"""
    sql = _last_sql(work, model)
    return " as keyed" in sql


def _deletes_by_key(work: Path, model: str) -> bool:
    """Did the last slice run of model delete stored rows by key as well as by day (strategy event_slice)?"""
    sql = _last_sql(work, model, "run")
    assert re.search(r"delete from \S+\s+where \(event_date is null", sql), sql
    return re.search(r"or (\w+) in \(select \1 from", sql) is not None


def _replaces_by_id(work: Path, model: str) -> bool:
    """Did the last run of an attributing model look up stored rows by event id as well as by day?"""
    sql = _last_sql(work, model, "run")
    assert "__replaced as" in sql, sql
    return re.search(r"or event_id in \(select event_id from", sql) is not None


def _attributed_days(work: Path, model: str) -> str:
    """The days the last run of an attributing model attributed again: 'all', 'none' or '2026-05-29,...'."""
    sql = _last_sql(work, model)
    return re.search(r"/\* attribution_slice: (\S+)", sql).group(1)


def _features_run(work: Path) -> str:
    """What the last run of int_customer_features computed: 'all' or 'changed' (customer_features_refresh.sql)."""
    sql = _last_sql(work, FEATURES)
    return re.search(r"/\* customer_features: (\S+)", sql).group(1)


def _features_changed(work: Path) -> tuple[int, int]:
    """How many customers the last changed run of int_customer_features computed again, and how many it had stored."""
    sql = _last_sql(work, FEATURES)
    found = re.search(r"/\* customer_features: changed \((\d+) customers changed of (\d+) stored", sql)
    return int(found.group(1)), int(found.group(2))


def _interactions_run(work: Path) -> str:
    """What the last run of int_recommendation_events computed: 'all', or the table of the customers it
    computed again (int_customer_features__changed)."""
    sql = _last_sql(work, INTERACTIONS)
    return re.search(r"/\* recommendation_events: (\S+)", sql).group(1)


def _rolled_up(work: Path, model: str) -> str:
    """What the last run of a daily rollup rolled up: 'all', or '<n> customer days changed'."""
    sql = _last_sql(work, model)
    found = re.search(r"/\* events_rolled_to_days: (\S+) \((.*?)\) \*/", sql)
    return "all" if found.group(1) == "all" else found.group(2)


def _plant(raw: Path, table: str, name: str, rows: list[dict]) -> None:
    """Rows as a new Parquet part of table, in the types of the table's parts."""
    parts = sorted((raw / table).glob("*.parquet"))
    like = pd.read_parquet(parts[0])
    frame = pd.DataFrame(rows, columns=like.columns).astype(like.dtypes.to_dict())
    frame.to_parquet(raw / table / name, index=False)


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {m: con.execute(f"select * from {schema}.{m} order by all").df() for m, schema in TABLES.items()}


def _newest(work: Path) -> dict:
    """The newest accepted event (order) of each base model."""
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        return {
            m: con.execute(f"select max({at}) from staging.{m} where rejection_reason is null").fetchone()[0]
            for m, at in [*((m, "occurred_at") for m in MODELS), (ORDERS, "ordered_at")]
        }


def _assert_same(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame]) -> None:
    """Each table holds the same rows, compared in want's column order (a column a run added comes last)."""
    for model in TABLES:
        assert len(got[model]) == len(want[model]), model
        columns = list(want[model].columns)
        pd.testing.assert_frame_equal(
            got[model][columns].sort_values(columns).reset_index(drop=True),
            want[model].sort_values(columns).reset_index(drop=True),
            obj=model,
        )


def _full_refresh_of(work: Path, raw: Path, tmp: Path, name: str, dbt_vars: dict = VARS_T1) -> dict:
    """The tables --full-refresh makes of the same raw data, in a copy of the warehouse."""
    copy = tmp / name
    copy.mkdir()
    shutil.copy(work / "warehouse.duckdb", copy / "warehouse.duckdb")
    assert_ok(run_dbt([*BUILD, "--full-refresh"], raw, copy, dbt_vars))
    assert [_slice_run(copy, model) for model in (*MODELS, ORDERS, LINES, SESSIONS)] == ["all"] * 5
    assert [_attributed_days(copy, model) for model in ATTRIBUTED] == ["all", "all"]
    assert [_rolled_up(copy, model) for model in ROLLUPS] == ["all", "all"]
    assert _features_run(copy) == "all"
    assert _interactions_run(copy) == "all"
    return _tables(copy / "warehouse.duckdb")


@pytest.fixture(scope="module")
def first_build(demo_data, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("incremental")
    raw, work = copy_raw(demo_data[0], root / "raw"), root / "work"
    # a visit across the midnight the hourly run's slice starts at (the newest event's day less 3 days)
    _as_folder(raw, "web_events")  # parts, as the hourly loader leaves them
    web = pd.read_parquet(raw / "web_events")
    visit = {**web.iloc[0], "anonymous_id": "night-owl", "contact_id": None, "email": None, "product_id": None}
    at = (CROSSING - timedelta(minutes=10), CROSSING + timedelta(minutes=10))
    _plant(raw, "web_events", "night-owl.parquet", [
        {**visit, "event_id": f"night-owl-{k}", "event_type": "page_view", "occurred_at": t} for k, t in enumerate(at)
    ])  # fmt: skip
    assert_ok(run_dbt(BUILD, raw, work, VARS_T0))
    assert [_slice_run(work, model) for model in (*MODELS, ORDERS, LINES)] == ["all"] * 4
    assert _interactions_run(work) == "all"
    return raw, work


def test_an_hourly_run_reads_the_slice_and_equals_a_full_refresh(first_build, tmp_path: Path) -> None:
    raw, work = first_build
    append_hour(raw, T0, seed=11, rate=5)
    # a device nobody identified yet (its events are its own anonymous person's) logs in this hour: its events
    # from before any slice now belong to the contact, so the attribution looks again at more than the new day
    web = pd.read_parquet(raw / "web_events").sort_values("event_id")
    named = web["contact_id"].notna() | web["email"].notna()
    unnamed = web[web["anonymous_id"].notna() & ~web["anonymous_id"].isin(web.loc[named, "anonymous_id"])]
    device = unnamed[unnamed["occurred_at"] < CROSSING].iloc[0]
    contact = web.loc[web["contact_id"].notna(), "contact_id"].iloc[0]
    _plant(raw, "web_events", "login.parquet", [
        {**device, "event_id": "login-1", "contact_id": contact, "occurred_at": T0 + timedelta(minutes=20)},
    ])  # fmt: skip
    before = _tables(work / "warehouse.duckdb")["int_web_events_sessionized"]
    # the hour alone: the sessions are sessionized from the slice's first day, each device going on from its
    # last event before it
    newest = _newest(work)
    assert_ok(run_dbt(BUILD, raw, work, VARS_T1))
    assert _slice_run(work, SESSIONS) == (newest["base_web__events"] - timedelta(days=3)).strftime("%Y-%m-%d")
    assert _slice_run(work, SESSIONS) == CROSSING.strftime("%Y-%m-%d")
    assert _slice_run(work, ORDERS) == (newest[ORDERS] - timedelta(days=3)).strftime("%Y-%m-%d")
    assert _slice_run(work, LINES) == "orders"  # the lines of the orders that changed
    # no stored row before the slice shares an id with the slice's raw rows: only the slice's raw rows are read,
    # and the stored rows go by day alone
    assert not any(_reads_keys(work, model) for model in (*MODELS, ORDERS))
    assert not any(_deletes_by_key(work, model) for model in (*MODELS, SESSIONS, ORDERS))
    # only the new hour's day changed (the sessions rewritten from the slice's first day are the same rows)
    assert [_attributed_days(work, model) for model in ATTRIBUTED] == [T0.strftime("%Y-%m-%d")] * 2
    # the device's visits before that day moved to the contact: they alone are looked up by id
    assert _replaces_by_id(work, "int_web_events_sessionized")
    assert not _replaces_by_id(work, "int_email_events_attributed")  # no email's customer changed: by day alone
    # the daily rollups roll up again only the customer days those models changed, not the history
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        customer_days = [
            con.execute(f"select count(distinct (customer_id, activity_date)) from intermediate.{m}").fetchone()[0]
            for m in ROLLUPS
        ]
    for model, total in zip(ROLLUPS, customer_days, strict=True):
        rolled = int(re.fullmatch(r"(\d+) customer days changed", _rolled_up(work, model)).group(1))
        assert 0 < rolled < total / 20, (model, rolled, total)
    # the features computed again only the customers whose events, orders or windows moved
    assert _features_run(work) == "changed"
    changed, stored = _features_changed(work)
    assert 0 < changed < stored / 2
    # the interactions: only the customers the features computed again
    assert _interactions_run(work).endswith('."int_customer_features__changed"')
    got = _tables(work / "warehouse.duckdb")
    _assert_same(got, _full_refresh_of(work, raw, tmp_path, "hour"))
    old_visits = got["int_web_events_sessionized"].query("anonymous_id == @device.anonymous_id")
    was = before.query("anonymous_id == @device.anonymous_id")["customer_id"].unique().tolist()
    assert (old_visits["occurred_at"] < CROSSING).any()
    assert len(was) == 1
    assert old_visits["customer_id"].nunique() == 1
    assert old_visits["customer_id"].iloc[0] != was[0]
    owl = got[SESSIONS].set_index("event_id").loc[["night-owl-0", "night-owl-1"]]
    assert owl["is_session_start"].tolist() == [True, False]  # the slice's event goes on with the one before it
    assert owl["session_number"].nunique() == 1

    web = pd.read_parquet(raw / "web_events").sort_values("event_id")
    old = web[(web["occurred_at"] < T0 - timedelta(days=30)) & web["anonymous_id"].notna()].iloc[0]
    _plant(raw, "web_events", "edges.parquet", [
        # late by a day: within the lookback
        {**old, "event_id": "late-1d", "occurred_at": T0 - timedelta(days=1)},
        # an old event's id again, now, with other values: every row of that id is a conflicting duplicate,
        # the old one included
        {**old, "event_type": "add_to_cart", "occurred_at": T0 + timedelta(minutes=5)},
        # an exact copy, now, of an event of this hour: a duplicate
        {**web[web["occurred_at"] >= T0].iloc[0]},
        # no time, a time before 1970, a time after the run's as_of
        {**old, "event_id": "no-time", "occurred_at": None},
        {**old, "event_id": "too-old", "occurred_at": datetime(1900, 1, 1)},
        {**old, "event_id": "future", "occurred_at": T1 + timedelta(hours=2)},
    ])  # fmt: skip
    email = pd.read_parquet(raw / "email_events").sort_values("event_id")
    sent = email[(email["occurred_at"] < T0 - timedelta(days=30)) & (email["event_type"] == "sent")].iloc[0]
    _plant(raw, "email_events", "edges.parquet", [
        {**sent, "event_id": "late-2d", "event_type": "open", "occurred_at": T0 - timedelta(days=2)},
        {**sent, "event_type": "click", "occurred_at": T0 + timedelta(minutes=7)},
        {**sent, "event_id": "no-time", "event_type": "unsubscribe", "occurred_at": None},
    ])  # fmt: skip

    orders = pd.read_parquet(raw / "orders").sort_values("order_id")
    lines = pd.read_parquet(raw / "order_items").sort_values(["order_id", "product_id"])
    ordered_at = pd.to_datetime(orders["ordered_at"], utc=True, format="mixed", errors="coerce").dt.tz_localize(None)
    accepted = orders[(orders["status"] == "completed") & (ordered_at < T0 - timedelta(days=30))]
    accepted = accepted[~accepted["order_id"].duplicated(keep=False)]
    refunded, grown = accepted.iloc[0], accepted.iloc[1]
    line = lines[lines["order_id"] == grown["order_id"]].iloc[0]
    _plant(raw, "orders", "edges.parquet", [
        # an order late by a day, with its line
        {**grown, "order_id": "late-order", "ordered_at": T0 - timedelta(days=1)},
        # an old order's id again, now, refunded: both rows are conflicting duplicates and its lines rejected
        {**refunded, "status": "refunded", "ordered_at": T0 + timedelta(minutes=9)},
    ])  # fmt: skip
    _plant(raw, "order_items", "edges.parquet", [
        {**line, "order_id": "late-order"},
        # a line more for an old order nothing else changed: its lines are numbered again with it
        {**line, "product_id": "a-later-line", "quantity": 2},
        # a line with no order id, and one whose order has not arrived yet
        {**line, "order_id": None},
        {**line, "order_id": "arrives-later"},
    ])  # fmt: skip

    newest = _newest(work)
    assert_ok(run_dbt(BUILD, raw, work, VARS_T1))

    # the slice: the day of the newest accepted event before the run, less the 3 days' lookback
    for model in (*MODELS, ORDERS):
        assert _slice_run(work, model) == (newest[model] - timedelta(days=3)).strftime("%Y-%m-%d"), model
    assert _slice_run(work, LINES) == "orders"
    # the old events' and the old order's rows were read again for their ids: their stored rows go by id too
    assert [_reads_keys(work, model) for model in (*MODELS, ORDERS)] == [True] * 3
    assert [_deletes_by_key(work, model) for model in (*MODELS, ORDERS)] == [True] * 3
    # an old event became a conflicting duplicate: the sessions lost an event before their slice, so they start over
    assert _slice_run(work, SESSIONS) == "all"
    # but the attribution looks again only at the days whose events changed
    assert "all" not in [_attributed_days(work, model) for model in ATTRIBUTED]
    assert _features_run(work) == "changed"
    assert _interactions_run(work) != "all"
    got = _tables(work / "warehouse.duckdb")
    _assert_same(got, _full_refresh_of(work, raw, tmp_path, "refreshed"))
    events = got["base_web__events"].set_index("event_id")
    assert events.loc[old["event_id"], "rejection_reason"].tolist() == ["conflicting_duplicate"] * 2
    assert pd.isna(events.loc["late-1d", "rejection_reason"])
    assert events.loc["future", "rejection_reason"] == "after_as_of_date"
    assert events.loc["too-old", "rejection_reason"] == "out_of_range_occurred_at"
    assert got["base_web__events"]["is_duplicate"].sum() > 0
    by_order = got[LINES].groupby("order_id")["rejection_reason"]
    assert set(by_order.get_group(refunded["order_id"])) == {"order_rejected:conflicting_duplicate"}
    assert by_order.get_group(grown["order_id"]).isna().all()
    assert len(by_order.get_group(grown["order_id"])) == (lines["order_id"] == grown["order_id"]).sum() + 1
    assert by_order.get_group("late-order").isna().all()
    assert set(by_order.get_group("arrives-later")) == {"unknown_order"}


def test_a_row_later_than_the_lookback_or_an_erasure_reclassifies_everything(first_build, tmp_path: Path) -> None:
    raw, work = first_build
    if not (raw / "web_events" / "edges.parquet").exists():
        pytest.skip("needs the hourly run first (same module)")
    web = pd.read_parquet(raw / "web_events").sort_values("event_id")
    known = web[web["contact_id"].notna()].iloc[0]
    _plant(raw, "web_events", "late.parquet", [
        {**known, "event_id": "late-20d", "occurred_at": T0 - timedelta(days=20)},
    ])  # fmt: skip
    # an order 20 days late: every order is read again; its line's order, now known, is one of the changed
    orders = pd.read_parquet(raw / "orders").sort_values("order_id")
    completed = orders[orders["status"] == "completed"].iloc[0]
    _plant(raw, "orders", "late.parquet", [
        {**completed, "order_id": "arrives-later", "ordered_at": T0 - timedelta(days=20)},
    ])  # fmt: skip
    assert_ok(run_dbt(BUILD, raw, work, VARS_T1))
    assert _slice_run(work, "base_web__events") == "all"
    assert _slice_run(work, ORDERS) == "all"
    assert _slice_run(work, LINES) == "orders"
    arrived = _tables(work / "warehouse.duckdb")[LINES].query("order_id == 'arrives-later'")
    assert len(arrived) == 1
    assert arrived["rejection_reason"].isna().all()
    assert _slice_run(work, SESSIONS) == "all"  # an event before its slice appeared
    assert _slice_run(work, "base_esp__email_events") != "all"  # its rows did not change
    _assert_same(_tables(work / "warehouse.duckdb"), _full_refresh_of(work, raw, tmp_path, "late"))

    # a new erasure request: the person's rows, however old, become 'erased' rows
    email = pd.read_parquet(raw / "email_events")
    person = email["email"].dropna().iloc[0].strip().lower()
    erasure_vars = {**VARS_T1, "erasure_email_sha256s": [hashlib.sha256(person.encode()).hexdigest()]}
    assert_ok(run_dbt(BUILD, raw, work, erasure_vars))
    assert [_slice_run(work, model) for model in (*MODELS, ORDERS, LINES, SESSIONS)] == ["all"] * 5
    # the person's days changed: attributed again, not every day
    assert "all" not in [_attributed_days(work, model) for model in ATTRIBUTED]
    assert _interactions_run(work) != "all"
    got = _tables(work / "warehouse.duckdb")
    _assert_same(got, _full_refresh_of(work, raw, tmp_path, "erased", erasure_vars))
    theirs = email["email"].str.strip().str.lower().eq(person).sum()
    assert (got["base_esp__email_events"]["rejection_reason"] == "erased").sum() == theirs > 0
    assert not got["base_esp__email_events"]["email"].eq(person).any()


def test_a_later_cut_off_moves_the_features_windows_and_equals_a_full_refresh(first_build, tmp_path: Path) -> None:
    """Two days on, with no new rows but one event then due: recency and tenure move for everyone, events leave
    the trailing windows of some; the features computed again are those customers', the others' rows are moved."""
    raw, work = first_build
    if not (raw / "web_events" / "edges.parquet").exists():
        pytest.skip("needs the hourly run first (same module)")
    later = {**VARS_T1, "as_of_date": (T1 + timedelta(hours=50)).strftime("%Y-%m-%d %H:%M:%S")}
    before = _tables(work / "warehouse.duckdb")[FEATURES].set_index("customer_id")
    assert_ok(run_dbt(BUILD, raw, work, later))
    assert _features_run(work) == "changed"
    changed, stored = _features_changed(work)
    assert 0 < changed < stored
    assert _interactions_run(work) != "all"
    got = _tables(work / "warehouse.duckdb")
    _assert_same(got, _full_refresh_of(work, raw, tmp_path, "later", later))
    after = got[FEATURES].set_index("customer_id").loc[before.index]
    assert (after["tenure_days"] == before["tenure_days"] + 2).all()
    assert (after["emails_sent_30d"] != before["emails_sent_30d"]).any()


def test_a_rollup_an_older_version_made_is_rolled_up_again_whole(first_build, tmp_path: Path) -> None:
    """Before session_key, the web rollup kept each session's text id (session_id); a measure added since would
    be missing from a rollup made before it. A run on such a table swaps or adds the column (on_schema_change)
    and rolls up every event again instead of only the changed customer days: the tables then equal a full
    refresh's."""
    raw, work = first_build
    older = tmp_path / "older"
    older.mkdir()
    shutil.copy(work / "warehouse.duckdb", older / "warehouse.duckdb")
    web, email = (f"{TABLES[model]}.{model}" for model in ROLLUPS)
    with duckdb.connect(str(older / "warehouse.duckdb")) as con:
        con.execute(f"alter table {web} rename column session_key to session_id")
        con.execute(f"alter table {web} alter session_id type varchar")
        con.execute(f"alter table {email} drop column human_opens")
    assert_ok(run_dbt(BUILD, raw, older, VARS_T1))
    assert [_rolled_up(older, model) for model in ROLLUPS] == ["all", "all"]
    got = _tables(older / "warehouse.duckdb")
    assert "session_id" not in got[ROLLUPS[0]].columns
    assert got[ROLLUPS[0]]["session_key"].dtype == "int64"
    _assert_same(got, _full_refresh_of(older, raw, tmp_path, "full"))


def test_the_interactions_are_computed_whole_when_the_features_or_the_catalogue_did_not_follow(
    first_build, tmp_path: Path
) -> None:
    """int_recommendation_events keeps a customer's stored rows only when int_customer_features of the same
    dbt invocation found them unchanged. Run alone, or after a product's URL changed (email clicks match
    products by URL), it computes everyone: the same rows as a full refresh."""
    raw, work = first_build
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        as_of = con.execute(f"select max(cutoff_at) from intermediate.{FEATURES}").fetchone()[0]
    dbt_vars = {"as_of_date": as_of.strftime("%Y-%m-%d %H:%M:%S")}
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(work / "warehouse.duckdb", alone / "warehouse.duckdb")
    assert_ok(run_dbt(["run", "--select", INTERACTIONS], raw, alone, dbt_vars))
    assert _interactions_run(alone) == "all"
    assert "did not run in this invocation" in _last_sql(alone, INTERACTIONS)

    catalogue = copy_raw(raw, tmp_path / "raw")
    products, path = read_raw_table(catalogue, "products")
    email = pd.read_parquet(catalogue / "email_events")
    clicked = email.loc[email["event_type"] == "click", "url"].dropna().str.split("?").str[0]
    moved = products["url"].isin(clicked)
    assert moved.any()
    products.loc[moved.idxmax(), "url"] = "https://shop.example/moved"
    write_raw_table(products, path)
    assert_ok(run_dbt(BUILD, catalogue, work, dbt_vars))
    assert _features_run(work) == "changed"
    assert _interactions_run(work) == "all"
    assert "the catalogue changed" in _last_sql(work, INTERACTIONS)
    _assert_same(_tables(work / "warehouse.duckdb"), _full_refresh_of(work, catalogue, tmp_path, "catalogue", dbt_vars))
