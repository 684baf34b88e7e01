"""Training snapshots: events after a cut-off never reach its features."""

import numpy as np
import pandas as pd
import pytest
from conftest import E2E_END_DATE

from python_udfs.ml.snapshots import plan_snapshots

pytestmark = pytest.mark.e2e

# What the moved and added events reach on the way to the snapshots: the rest of the session build's warehouse
# (the customers, products, campaigns, ...) was built from the same demo data and stays as it is. Unit tests
# check logic, not data: the session build ran them. The events are edited in place, which an incremental run
# does not look for (raw tables are append-only by contract), so the rebuild is a full refresh.
MOVED_TABLES = ("web.web_events", "esp.email_events", "shop.orders", "shop.order_items")
REBUILD_SNAPSHOTS = (
    "build",
    "--select",
    *(f"source:{table}+,+int_training_snapshots" for table in MOVED_TABLES),
    "--exclude-resource-type",
    "unit_test",
    "--indirect-selection",
    "cautious",
    "--full-refresh",
)
LABELS = {"purchased_in_horizon", "horizon_orders", "horizon_revenue", "next_order_at", "churned_in_horizon"}


def snapshot_frame(build, cutoff) -> pd.DataFrame:
    names = [r[0] for r in build.query("describe intermediate.int_training_snapshots")]
    rows = build.query(f"select * from intermediate.int_training_snapshots where cutoff_at = '{cutoff}'")
    return pd.DataFrame(rows, columns=names).set_index("customer_id").sort_index()


def test_cutoffs_follow_the_plan_chosen_from_the_history(built):
    """The plan (python_udfs/ml/snapshots.py) from the days of order history and the customers before as_of;
    the snapshots hold exactly its cut-offs, each labelled over its label window."""
    as_of = pd.Timestamp(E2E_END_DATE)
    first_order, customers = built.query("select min(first_order_at), count(*) from main.fct_customer_features")[0]
    expected = plan_snapshots(int((as_of - pd.Timestamp(first_order)).total_seconds() // 86_400), customers, 30)
    planned = pd.DataFrame(
        built.query("select snapshot, cutoff_at, label_days, step_days, snapshot_count, history_days "
                    "from intermediate.int_training_cutoffs_planned order by snapshot"),
        columns=["snapshot", "cutoff_at", "label_days", "step_days", "snapshot_count", "history_days"],
    )  # fmt: skip
    assert set(planned["label_days"]) == {expected.label_days}
    assert set(planned["step_days"]) == {expected.step_days}
    assert set(planned["snapshot_count"]) == {expected.snapshot_count} == {len(planned)}
    assert set(planned["history_days"]) == {expected.history_days}
    assert [(as_of - pd.Timestamp(c)).days for c in planned["cutoff_at"]] == expected.cutoff_offsets()
    cutoffs = built.query(
        "select cutoff_at, min(horizon_days), max(horizon_days) from intermediate.int_training_snapshots "
        "group by cutoff_at order by cutoff_at desc"
    )
    assert [pd.Timestamp(c) for c, _, _ in cutoffs] == [pd.Timestamp(c) for c in planned["cutoff_at"]]
    assert {(low, high) for _, low, high in cutoffs} == {(expected.label_days, expected.label_days)}
    # a year of history and 2,000 customers: 30-day labels, cut-offs closer than 30 days for more rows
    assert expected.label_days == 30
    assert expected.snapshot_count > 4


def test_moving_and_adding_events_after_a_cutoff_leaves_its_features_unchanged(built, warehouse_copy, rebuild):
    cutoff = built.query("select min(cutoff_at) from intermediate.int_training_snapshots")[0][0]
    c, as_of = pd.Timestamp(cutoff), pd.Timestamp(E2E_END_DATE)
    rng = np.random.default_rng(5)

    def shift_after_cutoff(ts: pd.Series) -> pd.Series:
        after = (ts >= c) & (ts < as_of)
        room = (as_of - ts[after]).dt.total_seconds() - 1
        return ts.mask(after, ts[after] + pd.to_timedelta(rng.random(after.sum()) * room, unit="s"))

    def move_and_add_after_cutoff(moved):
        for table in ("web_events", "email_events"):
            frame = pd.read_parquet(moved / f"{table}.parquet")
            frame["occurred_at"] = shift_after_cutoff(frame["occurred_at"])
            frame.to_parquet(moved / f"{table}.parquet", index=False)
        orders = pd.read_parquet(moved / "orders.parquet")
        when = pd.to_datetime(orders["ordered_at"], utc=True, errors="coerce", format="ISO8601").dt.tz_localize(None)
        shifted = shift_after_cutoff(when)
        changed = shifted != when
        orders.loc[changed, "ordered_at"] = shifted[changed].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        extra = orders[changed & orders["contact_id"].notna()].head(200)
        extra = extra.assign(order_id=lambda d: d["order_id"] + "-again")
        items = pd.read_parquet(moved / "order_items.parquet")
        extra_items = items[items["order_id"].isin(extra["order_id"].str.removesuffix("-again"))].assign(
            order_id=lambda d: d["order_id"] + "-again"
        )
        pd.concat([orders, extra]).to_parquet(moved / "orders.parquet", index=False)
        pd.concat([items, extra_items]).to_parquet(moved / "order_items.parquet", index=False)
        return changed.sum()

    # the session build's warehouse, with what the changed tables reach on the way to the snapshots rebuilt
    again = rebuild(
        "snapshots_moved", move_and_add_after_cutoff, args=REBUILD_SNAPSHOTS, work=warehouse_copy("snapshots_moved")
    )
    assert again.planted > 100
    before, after = snapshot_frame(built, cutoff), snapshot_frame(again, cutoff)
    features = [col for col in before.columns if col not in LABELS | {"snapshot_id"}]
    pd.testing.assert_frame_equal(before[features], after[features])
    # the labels did see the moved and added orders: the test can tell a change
    assert not before["horizon_orders"].equals(after["horizon_orders"])
