"""The recommender's interactions read from the warehouse with codes for ids, in the order in_order puts them.

read_coded(session, events, products, customers) gives what Codes.encode gives for the events read whole
(dbt_io.to_pandas) and put in order (model.in_order), and whether they are in that order already.

On DuckDB the warehouse does the work: it finds the distinct ids (a hash aggregate), the sorted ids come back
here and are coded exactly as Codes.encode codes them (codes.py _distinct), the warehouse joins the codes onto
the rows and sorts the rows by the integer codes, in parallel and spilling to disk when it must. At 1,000,000
contacts, reading the 25 M interactions sorted by their string ids took 16.1 s, coding them 9.3 s and
checking their order 4.3 s, each read of them (scoring and a retrain read them once each).

Other engines, and events whose id columns are not strings: read whole (sorted where the engine can) and coded
by Codes.encode; in_order checks their order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from python_udfs.dbt_io import to_pandas
from python_udfs.recs.codes import Codes, _distinct
from python_udfs.recs.model import EVENT_ORDER

# int_recommendation_events' repeated strings, read as categoricals when the warehouse does not code them
# (dbt_io.to_pandas): at 1,000,000 contacts, 25 M rows of ids as strings took about 5 GB
EVENT_CATEGORICAL = ("customer_id", "product_id", "interaction_type", "order_id")
_CODED = {"customer_id": "customer", "product_id": "product", "order_id": "order", "interaction_type": "kind"}


class Coded(NamedTuple):
    """Codes.encode's four results, and whether the events are in in_order's order already."""

    codes: Codes
    events: pd.DataFrame
    products: pd.DataFrame
    customers: pd.DataFrame | None
    events_in_order: bool


def coded(events: pd.DataFrame, products: pd.DataFrame, customers: pd.DataFrame | None = None) -> Coded:
    """Codes.encode's results for frames already read, as a Coded (events not known to be in order)."""
    return Coded(*Codes.encode(events, products, customers), events_in_order=False)


def read_coded(session, events, products: pd.DataFrame, customers: pd.DataFrame | None = None) -> Coded:
    """The events of a ref (customer_id, product_id, interaction_type, occurred_at, order_id) and the frames of
    products and customers, with codes for ids (see the module docstring)."""
    if not _codable(events):
        frame = to_pandas(events, categorical=EVENT_CATEGORICAL, order_by=tuple(EVENT_ORDER))
        return coded(frame, products, customers)
    distinct = {name: _distinct_in_warehouse(events, name) for name in _CODED}
    customer_ids = [pd.Series(distinct["customer_id"])] + ([customers["customer_id"]] if customers is not None else [])
    codes = Codes(_distinct(*customer_ids), _distinct(pd.Series(distinct["product_id"]), products["product_id"]))
    # order ids and kinds are not handed back to the caller: sorted in Arrow, as _distinct sorts strings
    ids = {
        "customer_id": pa.array(codes.customers, pa.string()),
        "product_id": pa.array(codes.products, pa.string()),
        "order_id": _sorted(distinct["order_id"]),
        "interaction_type": _sorted(distinct["interaction_type"]),
    }
    joined = events.project(", ".join(f'"{name}"' for name in EVENT_ORDER))
    for name, short in _CODED.items():
        code_table = pa.table({name: ids[name], f"{short}_code": np.arange(len(ids[name]))})
        joined = joined.join(session.from_arrow(code_table), name, how="left")
    # sorted by the codes, nulls last: in_order's order (codes sort as their ids, a missing id last). Order
    # codes stay null (NaN in pandas, as Codes.encode gives them); the kind becomes a categorical below
    table = joined.query(
        "coded",
        "select coalesce(customer_code, -1) as customer_id, coalesce(product_code, -1) as product_id,"
        " occurred_at, coalesce(kind_code, -1) as interaction_type, order_code::double as order_id from coded"
        " order by customer_code asc nulls last, product_code asc nulls last, occurred_at asc nulls last,"
        " kind_code asc nulls last, order_code asc nulls last",
    ).to_arrow_table()
    coded_events = table.to_pandas(split_blocks=True, self_destruct=True)  # each column its own block: no copy
    del table
    kinds = ids["interaction_type"].to_numpy(zero_copy_only=False)
    coded_events["interaction_type"] = pd.Categorical.from_codes(coded_events["interaction_type"], categories=kinds)
    coded_events = coded_events[["customer_id", "product_id", "interaction_type", "occurred_at", "order_id"]]
    return Coded(codes, coded_events, *codes.encode_catalogue_and_customers(products, customers), events_in_order=True)


def _codable(events) -> bool:
    """A DuckDB relation whose id columns are strings and that has the columns the events need."""
    if not (hasattr(events, "query") and hasattr(events, "to_arrow_table")):
        return False
    types = dict(zip(events.columns, (str(kind) for kind in events.types), strict=True))
    return all(name in types for name in EVENT_ORDER) and all(types[name] == "VARCHAR" for name in _CODED)


def _distinct_in_warehouse(events, name: str) -> pd.arrays.ArrowExtensionArray:
    """The distinct non-null values of one column, unsorted, as Arrow strings."""
    values = events.project(f'"{name}"').filter(f'"{name}" is not null').distinct().to_arrow_table().column(0)
    return pd.arrays.ArrowExtensionArray(values.cast(pa.string()))


def _sorted(values: pd.arrays.ArrowExtensionArray) -> pa.Array:
    """Distinct strings in code point order (Arrow sorts UTF-8 bytes), as codes.py _distinct sorts them."""
    array = pa.array(values)
    return array.take(pc.array_sort_indices(array))
