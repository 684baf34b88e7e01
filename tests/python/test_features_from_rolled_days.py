"""The email and web features read daily rollups of the events (macros/events_rolled_to_days.sql), yet they are
what the events say: at a cut-off within a day, where the cut-off's own day and the days the 30- and 90-day windows
start within must come from the events, every customer's counts and latest times equal those computed here in
pandas from the attributed events themselves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd
import pytest
from conftest import assert_ok, run_dbt

pytestmark = pytest.mark.e2e

CUTOFF = datetime(2026, 5, 20, 13, 37, 11)  # within a day, before the demo's end (2026-06-01)


@pytest.fixture(scope="module")
def at_cutoff(built, warehouse_copy) -> dict[str, pd.DataFrame]:
    work = warehouse_copy("rolled_days")
    # an earlier cut-off than the stored one: the features are computed for everyone
    assert_ok(run_dbt(["run", "--select", "int_customer_features"], built.raw_dir, work,
                      {"as_of_date": CUTOFF.strftime("%Y-%m-%d %H:%M:%S")}))  # fmt: skip
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return {
            "features": con.execute("select * from intermediate.int_customer_features").df().set_index("customer_id"),
            "email": con.execute(
                "select * from intermediate.int_email_events_attributed where occurred_at < $1", [CUTOFF]
            ).df(),
            "web": con.execute(
                "select * from intermediate.int_web_events_sessionized where occurred_at < $1", [CUTOFF]
            ).df(),
        }


def _since(events: pd.DataFrame, days: int) -> pd.DataFrame:
    return events[events["occurred_at"] >= CUTOFF - timedelta(days=days)]


def _compare(features: pd.DataFrame, want: pd.Series, column: str) -> None:
    got = features[column]
    want = want.reindex(got.index)
    if pd.api.types.is_numeric_dtype(got) and not pd.api.types.is_bool_dtype(got):
        want = want.fillna(0) if column.endswith("d") else want
        pd.testing.assert_series_equal(got.astype("float64"), want.astype("float64"), check_names=False, obj=column)
    else:
        pd.testing.assert_series_equal(
            pd.to_datetime(got), pd.to_datetime(want), check_names=False, check_dtype=False, obj=column
        )


def test_the_cut_off_reads_partial_days_from_the_events(at_cutoff) -> None:
    features = at_cutoff["features"]
    assert (features["cutoff_at"] == CUTOFF).all()
    # the windows start within a day, so the rollups alone would have counted whole days there
    for days in (30, 90):
        start = CUTOFF - timedelta(days=days)
        same_day = at_cutoff["email"]["occurred_at"].dt.date == start.date()
        assert same_day.any(), days


def test_email_features_equal_those_from_the_events(at_cutoff) -> None:
    features, email = at_cutoff["features"], at_cutoff["email"]
    person = email["is_machine_open"].eq(False)  # as SQL's `not is_machine_open`: an unknown is no person
    human_open = (email["event_type"] == "open") & person
    kinds = {
        "sent": email["event_type"] == "sent",
        "delivered": email["event_type"] == "delivered",
        "opened": email["event_type"].isin(["open", "click"]) & person,
        "clicked": email["event_type"] == "click",
    }
    for days in (30, 90):
        for kind, which in kinds.items():
            rows = _since(email[which & email["campaign_id"].notna()], days)
            _compare(features, rows.groupby("customer_id")["campaign_id"].nunique(), f"emails_{kind}_{days}d")
    _compare(features, email[human_open].groupby("customer_id")["occurred_at"].max(), "last_open_at")
    _compare(features, email[kinds["clicked"]].groupby("customer_id")["occurred_at"].max(), "last_click_at")
    negative = email["event_type"].isin(["unsubscribe", "spam_report", "bounce"])
    _compare(features, email[negative].groupby("customer_id")["occurred_at"].max(), "last_negative_email_event_at")
    opens = email[human_open].assign(hour=lambda f: f["occurred_at"].dt.hour)
    counts = opens.groupby(["customer_id", "hour"]).size().rename("opens").reset_index()
    usual = counts.sort_values(["customer_id", "opens", "hour"], ascending=[True, False, True])
    _compare(features, usual.drop_duplicates("customer_id").set_index("customer_id")["hour"], "usual_open_hour_utc")


def test_web_features_equal_those_from_the_events(at_cutoff) -> None:
    features, web = at_cutoff["features"], at_cutoff["web"]
    web = web[web["customer_id"].notna()]
    for days in (30, 90):
        sessions = _since(web[web["session_id"].notna()], days)
        _compare(features, sessions.groupby("customer_id")["session_id"].nunique(), f"web_sessions_{days}d")
    recent = _since(web, 30)
    _compare(
        features, recent[recent["event_type"] == "product_view"].groupby("customer_id").size(), "product_views_30d"
    )
    _compare(features, recent[recent["event_type"] == "add_to_cart"].groupby("customer_id").size(), "carts_30d")
    _compare(features, web.groupby("customer_id")["occurred_at"].max(), "last_web_event_at")
