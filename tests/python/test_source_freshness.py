"""Sources declare freshness, so a loader that stopped is caught: `dbt source freshness` on the demo.

The demo data ends at E2E_END_DATE, months before today: every table with a time
must be reported stale (error), and a row dated year 9999 planted in orders
(dirt a loader can deliver) must not make it look fresh.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import copy_raw, raw_timestamp, read_raw_table, run_dbt, write_raw_table

pytestmark = pytest.mark.e2e

TIMED = {"crm_contacts", "email_events", "email_subscriptions", "campaigns", "orders", "web_events"}


def test_a_loader_that_stopped_is_caught_and_future_dirt_does_not_hide_it(built, tmp_path, warehouse_copy):
    raw = copy_raw(built.raw_dir, tmp_path / "raw")
    orders, path = read_raw_table(raw, "orders")
    future = orders.iloc[[0]].copy()
    future["order_id"] = "FRESHNESS-9999"
    future["ordered_at"] = raw_timestamp(orders, "ordered_at", pd.Timestamp("9999-01-01"))
    write_raw_table(pd.concat([orders, future], ignore_index=True), path)

    work = warehouse_copy()
    out = work / "sources.json"
    run = run_dbt(["source", "freshness", "--select", "source:*", "--output", str(out)], raw, work)
    assert run.result.returncode != 0, "stale sources must fail the freshness check"
    results = {r["unique_id"].split(".")[-1]: r for r in json.loads(out.read_text())["results"]}
    # products, order lines and experiment assignments have no time to be stale by
    assert set(results) == TIMED
    assert {name: r["status"] for name, r in results.items()} == dict.fromkeys(TIMED, "error")
    # the year-9999 order is not the latest load: the real orders are
    assert results["orders"]["max_loaded_at"] < "2026-12-31"
