"""What the recommender's parts share: its parameters, the fitted model, and its inputs put in order."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from python_udfs.registry import hashed_version

KINDS = ["purchase", "cart", "click", "view"]
# sources are carried as small integer codes while ranking, named at the end
SOURCES = np.array(["collaborative", "content", "rule", "repeat", "trending"])
REPEAT, TRENDING = 3, 4
# the order the inputs are put in before anything else (in_order)
EVENT_ORDER = ["customer_id", "product_id", "occurred_at", "interaction_type", "order_id"]


@dataclass(frozen=True)
class Params:
    top_n: int = 10
    ease_lambda: float = 250.0
    ease_max_items: int = 5000
    purchase_weight: float = 1.0
    cart_weight: float = 0.5
    click_weight: float = 0.3
    view_weight: float = 0.2
    half_life_days: float = 180.0
    profile_half_life_items: float = 10.0
    profile_items: int = 50
    content_weight: float = 0.3
    content_neighbours: int = 50
    content_full_items: int = 5000
    customer_confidence_k: float = 2.0
    item_confidence_k: float = 5.0
    repeat_min_rate: float = 0.3
    repeat_exclude_rate: float = 0.01
    repeat_prior: float = 20.0
    repeat_recent_half_life_days: float = 30.0
    discover_candidates: int = 30
    rebuy_candidates: int = 50
    ranker_label_days: int = 30
    ranker_max_customers: int = 4000
    ranker_min_customers: int = 200
    ranker_min_positives: int = 200
    trending_half_life_days: float = 14.0
    max_per_category: int = 3
    # warm customers whose candidates are found at once. Their dense scores are scaled and picked a row at a
    # time (candidates._dense_picks), so the batch size hardly changes the time (400,000 customers of the
    # 1,000,000-contact warehouse: 52.0 to 55.2 s at 500, 1,000 and 2,000). It does change the order of the
    # ranker's training rows (each batch's new products, then its buy-again ones), hence the ranker: at 500
    # The Complete Journey's precision@10 was 0.3740 against 0.3751
    batch_size: int = 2000

    def weights(self) -> dict[str, float]:
        return {
            "purchase": self.purchase_weight,
            "cart": self.cart_weight,
            "click": self.click_weight,
            "view": self.view_weight,
        }

    def version(self, window: tuple[str, str]) -> str:
        """The registry's version of a recommender fitted with these parameters on this window."""
        return hashed_version("recommendations", {"params": asdict(self), "window": window})


@dataclass
class Recommender:
    params: Params
    cf_items: np.ndarray  # product ids, in the order of b's rows and columns
    b: np.ndarray  # EASE weights
    seen: pd.Series  # product_id -> distinct customers who interacted with it
    repeat: pd.DataFrame  # product_id -> repeat_rate, repurchase_days
    as_of: pd.Timestamp
    ranker: object = None  # xgboost Booster, or None: rank by the hybrid score
    ranker_info: dict = field(default_factory=dict)


def in_order(events: pd.DataFrame, products: pd.DataFrame, customers: pd.DataFrame | None = None,
             events_in_order: bool = False):  # fmt: skip
    """The inputs in one fixed order, whatever order the warehouse returned their rows in.

    The catalogue's and the customers' order become index positions that break ties (equal scores,
    equal trend), and the events' order is the order float sums add up in: unsorted, the same data gave
    different lists from run to run (Complete Journey P@10 0.3746-0.3759).

    events_in_order: the caller put these events in order with in_order before (or took rows of such
    events, which keeps their order), so they are not checked again: a retrain checked the same 25 M
    interactions five times at 1,000,000 contacts, about 3.8 s each.
    """
    keys = None if events_in_order else [_sort_key(events[name]) for name in EVENT_ORDER]
    if keys is not None and any(key is None for key in keys):  # ids that are not codes (recs/codes.py)
        events = events.sort_values(EVENT_ORDER, kind="stable", na_position="last").reset_index(drop=True)
    elif keys is not None and not _is_sorted(keys := _packed(keys)):  # stable, without pandas factorizing
        events = events.take(np.lexsort(keys[::-1])).reset_index(drop=True)
    else:  # already in order: said so, or found so (a slice of events put in order before)
        events = events.reset_index(drop=True)
    products = products.sort_values("product_id", kind="stable").reset_index(drop=True)
    if customers is not None:
        customers = customers.sort_values("customer_id", kind="stable").reset_index(drop=True)
    return events, products, customers


def pair_runs(customer: np.ndarray, product: np.ndarray) -> np.ndarray | None:
    """Where each (customer, product) pair's rows start (a bool per row), when each pair's rows come together
    in pair order: in_order's order, or rows taken from events in it. None when they do not, or when an id is
    missing or not a code (recs/codes.py): then the caller groups the pairs."""
    if len(customer) == 0 or customer.dtype.kind != "i" or product.dtype.kind != "i":
        return None
    if customer.min() < 0 or product.min() < 0:
        return None
    same_customer = customer[1:] == customer[:-1]
    if not ((customer[1:] >= customer[:-1]) & (~same_customer | (product[1:] >= product[:-1]))).all():
        return None
    return np.r_[True, ~same_customer | (product[1:] != product[:-1])]


def _sort_key(column: pd.Series) -> np.ndarray | None:
    """int64 values that sort as the column does with missing values last; None when the column is not
    numbers, times or an ordered set of categories (strings)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        if not column.cat.categories.is_monotonic_increasing:
            return None
        codes = column.cat.codes.to_numpy().astype(np.int64)
        return np.where(codes < 0, np.iinfo(np.int64).max, codes)
    if pd.api.types.is_datetime64_any_dtype(column.dtype) or pd.api.types.is_numeric_dtype(column.dtype):
        missing = column.isna().to_numpy()
        if pd.api.types.is_float_dtype(column.dtype):
            values = column.to_numpy()
            if np.any(values[~missing] != np.floor(values[~missing])):
                return None  # only whole numbers (codes) keep their order as int64
            values = np.where(missing, 0, values).astype(np.int64)
        else:
            values = np.asarray(column.array.asi8) if column.dtype.kind == "M" else column.to_numpy(np.int64)
        if column.dtype.kind == "i":  # codes: -1 is a missing id
            missing = missing | (values < 0)
        return np.where(missing, np.iinfo(np.int64).max, values)
    return None


def _packed(keys: list[np.ndarray]) -> list[np.ndarray]:
    """The same lexicographic order in fewer keys: adjacent keys whose ranges multiply below 2**62 become one.

    At 1,000,000 contacts np.lexsort of the five event keys (25 M rows) took 14.6 s and held five int64
    keys; customer and product codes fit one key, so do the kind and the order code. A missing value
    (int64 max, _sort_key) becomes one past its key's largest value, so it still sorts last.
    """
    out, span = [], 0
    for key in keys:
        missing = key == np.iinfo(np.int64).max
        low = int(key.min()) if len(key) else 0  # missing is the largest value there is
        high = int(np.max(key, where=~missing, initial=low))
        width = high - low + 2  # the values, and missing after them
        shifted = key - low
        shifted[missing] = width - 1
        if out and span * width < 2**62:
            out[-1] = out[-1] * width + shifted
            span *= width
        else:
            out.append(shifted)
            span = width
    return out


def _is_sorted(keys: list[np.ndarray]) -> bool:
    """Whether the rows are already in the lexicographic order of keys (first key first)."""
    undecided = np.ones(max(len(keys[0]) - 1, 0), dtype=bool)
    for key in keys:
        before, after = key[:-1], key[1:]
        if np.any(undecided & (before > after)):
            return False
        undecided &= before == after
    return True


def clean_events(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The interactions of a known kind before as_of. Rows are copied only when some are left out: at
    1,000,000 contacts a copy of the 25 M interactions is about 800 MB, and a retrain cleans them at every
    step (evaluation, its fit, its ranker, the deployed fit), mostly events that are clean already."""
    out = events[["customer_id", "product_id", "interaction_type", "occurred_at", "order_id"]]
    if not pd.api.types.is_datetime64_any_dtype(out["occurred_at"].dtype):
        out = out.assign(occurred_at=pd.to_datetime(out["occurred_at"]))
    keep = (out["occurred_at"] < as_of).to_numpy() & _known_kind(out["interaction_type"])
    return (out if keep.all() else out[keep]).reset_index(drop=True)


def _known_kind(kind: pd.Series) -> np.ndarray:
    """kind.isin(KINDS) as an array; a categorical by its categories (a 25 M-row isin took 0.2 s, 0.06 s so)."""
    if isinstance(kind.dtype, pd.CategoricalDtype):
        known = np.append(kind.cat.categories.isin(KINDS), False)  # code -1 (missing): not a kind
        return known[kind.cat.codes.to_numpy()]
    return kind.isin(KINDS).to_numpy()


def no_rules() -> pd.DataFrame:
    return pd.DataFrame({"if_category": pd.Series(dtype=str), "then_category": pd.Series(dtype=str),
                         "boost": pd.Series(dtype=float)})  # fmt: skip
