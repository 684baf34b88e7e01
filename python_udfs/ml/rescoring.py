"""Which customers a run of ml_customer_scores scores again (DuckDB).

A customer's scores depend on their row of int_customer_features, on the day of its cut-off (the expected next
order date counts from it) and on what every customer shares: the registry (which version of each model
scores), the horizon and the quality gate. Every row of the table carries features_digest, a digest of all of
that for its customer. A run computes each customer's digest again and scores only the customers whose digest
differs from their row's, or who have no row; the other rows are kept as they are, the customers who are gone
are dropped, and propensity_decile is ranked again over everyone. The table is then what scoring every
customer makes: a score depends on its own customer only (score_batches), and the deciles are ranked over
every customer's propensity either way.

So the first run after a retrain or on a new day scores everyone; an hourly run later that day scores the
customers whose features moved (new orders, opens, visits, or a trailing window that let an old event go).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

DIGEST_COLUMN = "features_digest"
# not a feature: the cut-off moves every hour, its day is in the digest
CUTOFF_COLUMN = "cutoff_at"


def shared_digest(registry: pd.DataFrame, **settings) -> str:
    """A digest of what every customer's scores share: the registry's rows (in a stable order) and settings."""
    rows = registry.astype(str).sort_values(list(registry.columns), kind="stable").to_csv(index=False)
    parts = [rows, *(f"{name}={settings[name]}" for name in sorted(settings))]
    return hashlib.md5("\x1f".join(parts).encode()).hexdigest()


def feature_digests(features, shared: str) -> pd.DataFrame:
    """customer_id and features_digest of every customer of a DuckDB relation of int_customer_features."""
    columns = [name for name in features.columns if name not in ("customer_id", CUTOFF_COLUMN)]
    hashed = ", ".join(f'"{name}"' for name in columns)
    return features.project(
        f"customer_id, md5(cast(hash({hashed}, cast({CUTOFF_COLUMN} as date)) as varchar) || '{shared}') "
        f"as {DIGEST_COLUMN}"
    ).df()


def plan(session, this, digests: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame] | None:
    """(customers to score, rows to keep), or None to score everyone (no table yet, or one made before digests).

    The customers to score are those whose digest is new or differs from their one row's; the rows kept are the
    previous rows of the other current customers (customers who are gone are in neither). In SQL: a million
    customers' strings compare in a second there, in tens of seconds in pandas.
    """
    try:
        columns = {row[0] for row in session.sql(f"describe {this}").fetchall()}
    except Exception:  # no table yet (the first run, or after it was dropped)
        return None
    if DIGEST_COLUMN not in columns:
        return None
    session.register("current_score_digests", digests)
    try:
        single = f"select customer_id from {this} group by customer_id having count(*) = 1"
        same = (
            f"select stored.customer_id from {this} as stored inner join current_score_digests as current "
            f"on stored.customer_id = current.customer_id and stored.{DIGEST_COLUMN} = current.{DIGEST_COLUMN} "
            f"where stored.customer_id in ({single})"
        )
        rescore = session.sql(
            f"select customer_id from current_score_digests where customer_id not in ({same})"
        ).fetchnumpy()["customer_id"]
        kept = session.sql(f"select * from {this} where customer_id in ({same})").df()
    finally:
        session.unregister("current_score_digests")
    return np.asarray(rescore, dtype=object), kept
