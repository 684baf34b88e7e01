"""Customer, product and order ids as integer codes while the recommender works, ids again at the end.

At 1,000,000 contacts the recommender reads 25 M interactions. Its sorts, group-bys and lookups on string
ids spent most of its time converting and hashing strings (train_recommender: 561 s, in_order alone 122 s)
and held them several times over. Codes are positions in the sorted distinct ids, so sorting by code is
sorting by id and every tie the recommender breaks "by id" falls the same way: the lists are the ones the
string ids give. The public functions (fit, recommend, evaluate) take and return ids; only their insides see
codes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from python_udfs.arrow_strings import arrow_strings
from python_udfs.recs.model import Recommender


def _distinct(*columns: pd.Series) -> np.ndarray:
    """The sorted distinct non-null values of the columns (in their own type: ids that are numbers sort as
    numbers, as the recommender always sorted them)."""
    strings = _distinct_strings(columns)
    if strings is not None:
        return strings
    values = [_in_use(column) if isinstance(column.dtype, pd.CategoricalDtype) else column.dropna().unique()
              for column in columns]  # fmt: skip
    distinct = pd.concat([pd.Series(value) for value in values], ignore_index=True).unique()
    if pd.api.types.infer_dtype(distinct, skipna=False) == "string":
        # Arrow sorts strings by their UTF-8 bytes, which is code point order, Python's order: the same
        # array as np.sort, which compares Python objects (3.6 M order ids at 1,000,000 contacts: seconds)
        return np.asarray(distinct, dtype=object)[pc.array_sort_indices(pa.array(distinct, pa.string())).to_numpy()]
    return np.sort(distinct)


def _distinct_strings(columns: tuple[pd.Series, ...]) -> np.ndarray | None:
    """_distinct of columns of strings held by Arrow (pandas' str dtype, string[pyarrow]), found and sorted by
    Arrow: 1.5 s against 3.5 to 4.2 s for the 1.3 M customer ids of the 1,000,000-contact bench, read twice
    per build. None when a column is not such strings, or there is no value (then _distinct decides)."""
    chunks = []
    for column in columns:
        if isinstance(column.dtype, pd.CategoricalDtype) or not isinstance(
            column.array, pd.arrays.ArrowStringArray | pd.arrays.ArrowExtensionArray
        ):
            return None
        array = pa.array(column.array)  # the Arrow data itself, no copy
        if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
            return None
        chunks.append(arrow_strings(array))
    distinct = pc.unique(pa.chunked_array(chunks, pa.large_string())).drop_null()
    if len(distinct) == 0:
        return None
    # code point order, as the object path below sorts strings
    return distinct.take(pc.array_sort_indices(distinct)).to_numpy(zero_copy_only=False)


def _in_use(column: pd.Series) -> pd.Index:
    """The categories a categorical column uses (a count per category: no sort of its codes)."""
    codes = column.cat.codes.to_numpy()
    return column.cat.categories[np.bincount(codes[codes >= 0], minlength=len(column.cat.categories)) > 0]


def _code(column: pd.Series, ids: np.ndarray) -> np.ndarray:
    """Each value's position in ids (-1 for null); a categorical column by its categories alone."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        position = _positions(column.cat.categories, ids)
        codes = column.cat.codes.to_numpy()
        if len(position) == 0:  # no values at all (a shop without order ids): every row is null
            return np.full(len(codes), -1, np.int64)
        return np.where(codes >= 0, position[codes], -1)
    return _positions(column, ids)


def _positions(values: pd.Index | pd.Series, ids: np.ndarray) -> np.ndarray:
    """Each value's position in ids, -1 where it is not there. Strings are looked up by Arrow: at 1,000,000
    contacts pandas hashed the 3.6 M order ids and 1.3 M customer ids as Python objects, seconds per column."""
    if pd.api.types.infer_dtype(ids, skipna=False) == "string" and pd.api.types.infer_dtype(values) == "string":
        found = pc.index_in(pa.array(values, pa.string()), value_set=pa.array(ids, pa.string()))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return pd.Index(ids).get_indexer(values)


@dataclass(frozen=True)
class Codes:
    """customers[c] is the id of customer code c, products[p] the id of product code p."""

    customers: np.ndarray
    products: np.ndarray

    @classmethod
    def encode(
        cls, events: pd.DataFrame, products: pd.DataFrame, customers: pd.DataFrame | None = None
    ) -> tuple[Codes, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
        """The codes of every id in the inputs, and the inputs with codes for ids.

        events: customer_id and product_id become int64 codes, order_id float64 codes (NaN when null, so it
        still sorts last), interaction_type a categorical of its sorted kinds (same order, no string work).
        products: product_id becomes its code, and display_name keeps what the lists call each product (its
        name, or its id when it has none). customers: customer_id becomes its code.
        """
        customer_columns = [events["customer_id"]] + ([customers["customer_id"]] if customers is not None else [])
        codes = cls(_distinct(*customer_columns), _distinct(events["product_id"], products["product_id"]))
        order = _code(events["order_id"], _distinct(events["order_id"]))
        kinds = events["interaction_type"]
        coded_events = pd.DataFrame(
            {
                "customer_id": _code(events["customer_id"], codes.customers),
                "product_id": _code(events["product_id"], codes.products),
                "interaction_type": pd.Categorical(kinds, categories=_distinct(kinds)),
                "occurred_at": events["occurred_at"].to_numpy(),
                "order_id": np.where(order >= 0, order, np.nan),
            }
        )
        return codes, coded_events, *codes.encode_catalogue_and_customers(products, customers)

    def encode_catalogue_and_customers(
        self, products: pd.DataFrame, customers: pd.DataFrame | None
    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """products with product_id as its code and display_name (the name, or the id when there is none), and
        customers (when given) with customer_id as its code."""
        coded_products = products.assign(
            display_name=products["product_name"].fillna(products["product_id"]),
            product_id=_code(products["product_id"], self.products),
        )
        if customers is None:
            return coded_products, None
        return coded_products, customers.assign(customer_id=_code(customers["customer_id"], self.customers))

    def model_to_codes(self, model: Recommender) -> Recommender:
        """A fitted model (ids) in these codes; products these codes do not know are left out of it."""
        index = pd.Index(self.products)
        cf = index.get_indexer(model.cf_items)  # -1: not in the catalogue, so never matched
        return replace(model, cf_items=cf, seen=_recoded(model.seen, index), repeat=_recoded(model.repeat, index))

    def model_to_ids(self, model: Recommender) -> Recommender:
        """A model fitted on codes, with ids again (what is saved and scored later)."""
        ids = self.products
        return replace(
            model,
            cf_items=ids[model.cf_items],
            seen=model.seen.set_axis(ids[model.seen.index.to_numpy()]),
            repeat=model.repeat.set_axis(ids[model.repeat.index.to_numpy()]),
        )

    def series_to_codes(self, series: pd.Series) -> pd.Series:
        """A Series by product id, by product code instead, without the products these codes do not know."""
        return _recoded(series, pd.Index(self.products))

    def lists_to_ids(self, lists: pd.DataFrame) -> pd.DataFrame:
        """recommend()'s lists with ids for the customer and product codes."""
        return lists.assign(
            customer_id=_ids_at(self.customers, lists["customer_id"].to_numpy(np.int64)),
            product_id=_ids_at(self.products, lists["product_id"].to_numpy(np.int64)),
        )


def _ids_at(ids: np.ndarray, codes: np.ndarray) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """ids[codes]. String ids are taken by Arrow into pandas' str dtype, what pandas makes of the taken
    strings: taking 12.9 M Python strings and letting pandas convert them took 3.2 s of the scoring of
    1,000,000 contacts (on its main thread), Arrow's take 0.2 s. Other ids keep numpy's take."""
    if ids.dtype == object and len(ids) and pd.api.types.infer_dtype(ids, skipna=False) == "string":
        return pd.array(arrow_strings(ids).take(codes), dtype="str")
    return ids[codes]


def _recoded(frame: pd.Series | pd.DataFrame, index: pd.Index) -> pd.Series | pd.DataFrame:
    """frame re-indexed from product ids to codes, without the products the codes do not know."""
    position = index.get_indexer(frame.index)
    return frame[position >= 0].set_axis(position[position >= 0])
