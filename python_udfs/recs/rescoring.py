"""Which customers a run of ml_customer_recommendations rescores (DuckDB, where the model is incremental).

A customer's list depends on their own interactions and preferred category, on what every customer shares: the
recommender's registry (a retrain adds a row), the catalogue and the rules, and on the day (interactions and the
trend decay by age in days). Every row of the table carries inputs_digest, a digest of all of that but the day
for its customer, and scored_as_of, the cut-off it was made as of. A run computes each customer's digest again
and rescores only the customers whose digest differs from the one their rows carry, who have no list yet, or
whose list was made more than var rescoring_max_age_days (default 1) days before the run's day
(python_udfs/rescoring_age.py); the rows of customers who are gone (erased, or merged into another customer)
are removed (strategy replace_customers, macros/replace_customers.sql). So:

- a run after a retrain (the nightly build retrains) rescores everyone, as a full build does, and its lists are
  the ones a full build makes;
- a run without one (the hourly refresh) rescores the customers with new or changed interactions, a new
  preferred category, and the new customers; every other list stays as the last full rescoring made it, so
  its trending fill and the decay of its interactions wait for the next retrain, or for the list to be more
  than rescoring_max_age_days old. The customers it rescores see today's trend, summed in SQL over every
  customer's interactions (trend_weights), since only their own interactions are read.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from python_udfs.arrow_strings import arrow_strings
from python_udfs.recs.model import KINDS, Params
from python_udfs.registry import registry_text
from python_udfs.rescoring_age import SCORED_AS_OF_COLUMN, recent_enough

DIGEST_COLUMN = "inputs_digest"
# what scoring reads of a product (int_products_ranked also holds sales and ranks, which move every hour)
CATALOGUE_COLUMNS = ("product_id", "product_name", "category", "brand", "price", "is_active")


def shared_digest(registry: pd.DataFrame, products: pd.DataFrame, rules: pd.DataFrame) -> str:
    """A digest of what every customer's list shares: the recommender's registry (every run, so a retrain
    changes it even when its run fails the gate and the version that scores stays), the catalogue and the
    rules. Not the day: see python_udfs/rescoring_age.py."""
    catalogue = products[[name for name in CATALOGUE_COLUMNS if name in products.columns]]
    parts = [
        registry_text(registry),
        catalogue.sort_values("product_id", kind="stable").to_csv(index=False),
        rules.to_csv(index=False),
    ]
    return hashlib.md5("\x1f".join(parts).encode()).hexdigest()


def interaction_counts(events):
    """Per customer of a DuckDB relation of int_recommendation_events: how many interactions and the latest
    (a relation)."""
    return events.aggregate(
        "customer_id, count(*) as interactions, max(occurred_at) as last_interaction_at", "customer_id"
    )


def inputs_digests(session, customers, counts, shared: str, as_of) -> pd.DataFrame:
    """customer_id, inputs_digest (hex) and scored_as_of (as_of) for every customer (customer_id,
    preferred_category).

    customers: a DataFrame (a customer's first row counts), or a DuckDB relation with one row per customer, which
    is not read into pandas first (at a million customers, that and dropping repeats took about 0.6 s).
    counts: interaction_counts() of the events. A customer's digest changes with the shared digest, their
    preferred category and the count or latest time of their interactions. In SQL: hashing a million
    customers in pandas took seconds.
    """
    if isinstance(customers, pd.DataFrame):
        customers = session.from_df(customers[["customer_id", "preferred_category"]].drop_duplicates("customer_id"))
    return (
        customers.join(counts, "customer_id", how="left")
        .project(
            "customer_id, md5(cast(hash(cast(preferred_category as varchar), coalesce(interactions, 0), "
            f"cast(last_interaction_at as timestamp)) as varchar) || '{shared}') as {DIGEST_COLUMN}, "
            f"timestamp '{pd.Timestamp(as_of).isoformat(sep=' ')}' as {SCORED_AS_OF_COLUMN}"
        )
        # through Arrow: .df() made a Python string per value first (0.67 s against 1.22 s at 1.3 M customers)
        .to_arrow_table()
        .combine_chunks()  # one chunk per column, as python_udfs/ml/rescoring.py feature_digests explains
        .to_pandas()
    )


def digest_per_row(customer_ids, digests: pd.DataFrame) -> pd.api.extensions.ExtensionArray:
    """The inputs_digest of each row's customer (<NA> for a customer digests does not hold), for list rows, as
    pandas strings ("string").

    Rows of one customer come together (recommend() returns each list whole), so each run of equal ids is
    looked up once: a lookup per row hashed every row's id (at 1,000,000 contacts, 12.9 M rows: about 5 s of
    the nightly build, against about 1 s). Rows in any order still get their customer's digest. The runs, the
    lookup and the per-row values are Arrow's: Python objects for the 12.9 M ids and digests, then the
    digests' conversion to strings again, took about 5 s of the scoring's main thread.
    """
    ids = arrow_strings(customer_ids)
    if len(ids) == 0:
        return pd.array([], dtype="string")
    changed = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1)).fill_null(True)
    starts = np.flatnonzero(np.concatenate([[True], changed.to_numpy(zero_copy_only=False)]))
    customers = ids.take(starts)
    known, values = arrow_strings(digests["customer_id"]), arrow_strings(digests[DIGEST_COLUMN])
    if len(customers) * 4 < len(known):  # an hourly run's few customers: look up among theirs only
        theirs = pc.is_in(known, value_set=customers)
        known, values = known.filter(theirs), values.filter(theirs)
    position = pc.index_in(customers, value_set=known)  # null: not there (ids in digests are unique)
    found = values.take(position)
    return pd.array(found.take(np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(ids))))), dtype="string")


def plan(session, this, current: pd.DataFrame, max_age_days: int) -> tuple[np.ndarray, np.ndarray]:
    """(customers to rescore, customers to remove): those of `current` (customer_id, inputs_digest,
    scored_as_of) whose digest is new or differs from the one their rows in the table `this` carry, or whose
    rows were made more than max_age_days before the current day, and those the table holds that are no longer
    customers. A customer whose rows carry two digests, or none (a table made before digests), is rescored.
    In SQL: in pandas, grouping a million customers' strings took 18 s. One digest per customer is the least
    equal to the greatest, not a distinct count (DuckDB grouped the 12.9 M list rows of the 1,000,000-contact
    bench again for it: 0.38 to 0.50 s against 0.86 to 0.97 s, the same customers)."""
    columns = {row[0] for row in session.sql(f"describe {this}").fetchall()}
    digest = DIGEST_COLUMN if DIGEST_COLUMN in columns else f"cast(null as varchar) as {DIGEST_COLUMN}"
    made = (
        SCORED_AS_OF_COLUMN if SCORED_AS_OF_COLUMN in columns else f"cast(null as timestamp) as {SCORED_AS_OF_COLUMN}"
    )
    session.register("current_list_digests", current)
    try:
        stored = (
            f"select customer_id, min({DIGEST_COLUMN}) as {DIGEST_COLUMN}, min({SCORED_AS_OF_COLUMN}) as "
            f"{SCORED_AS_OF_COLUMN} from (select customer_id, {digest}, {made} from {this}) group by customer_id "
            f"having min({DIGEST_COLUMN}) = max({DIGEST_COLUMN}) and count({DIGEST_COLUMN}) = count(*)"
        )
        same = (
            f"select stored.customer_id from ({stored}) as stored inner join current_list_digests as current "
            f"on stored.customer_id = current.customer_id and stored.{DIGEST_COLUMN} = current.{DIGEST_COLUMN} "
            f"and {recent_enough('stored', 'current', max_age_days)}"
        )
        rescore = session.sql(
            f"select current.customer_id from current_list_digests as current anti join ({same}) as same "
            "on current.customer_id = same.customer_id"
        ).fetchnumpy()["customer_id"]
        removed = session.sql(
            f"select distinct stored.customer_id from {this} as stored anti join current_list_digests as current "
            "on stored.customer_id = current.customer_id"
        ).fetchnumpy()["customer_id"]
    finally:
        session.unregister("current_list_digests")
    return np.asarray(rescore, dtype=object), np.asarray(removed, dtype=object)


def trend_weights(session, events, product_ids, as_of, params: Params) -> pd.Series:
    """Per product of the catalogue: every interaction before as_of, weighted by its kind and halved every
    trending_half_life_days of age, summed (what recommend() sums from its events when given them all)."""
    as_of = pd.Timestamp(as_of)
    weight = " ".join(f"when '{kind}' then {float(w)!r}" for kind, w in params.weights().items())
    catalogue = session.from_df(pd.DataFrame({"product_id": pd.Series(product_ids, dtype=object).drop_duplicates()}))
    kinds = ", ".join(f"'{kind}'" for kind in KINDS)
    age_days = f"(epoch_us(timestamp '{as_of.isoformat(sep=' ')}') - epoch_us(occurred_at)) / 86400e6"
    per_item = (
        events.filter(f"occurred_at < timestamp '{as_of.isoformat(sep=' ')}' and interaction_type in ({kinds})")
        .join(catalogue, "product_id")
        .aggregate(
            f"product_id, sum((case interaction_type {weight} end)"
            f" * pow(0.5, {age_days} / {float(params.trending_half_life_days)!r})) as weight",
            "product_id",
        )
        .to_df()
    )
    return pd.Series(per_item["weight"].to_numpy(float), index=per_item["product_id"].to_numpy())


def removal_rows(lists: pd.DataFrame, customer_ids: np.ndarray) -> pd.DataFrame:
    """One row per customer that has no row in lists: only its customer_id, so the strategy removes its old
    rows and inserts nothing (product_id null)."""
    missing = pd.Index(customer_ids).difference(pd.Index(lists["customer_id"].unique()))
    return pd.DataFrame({"customer_id": missing.to_numpy()})
