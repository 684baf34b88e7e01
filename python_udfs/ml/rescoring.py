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
    ).to_df()


def previous_scores(session, this) -> pd.DataFrame | None:
    """Every row the table holds, or None when there is no table or it was made before digests."""
    try:
        columns = {row[0] for row in session.sql(f"describe {this}").fetchall()}
    except Exception:  # no table yet (the first run, or after it was dropped)
        return None
    if DIGEST_COLUMN not in columns:
        return None
    return session.sql(f"select * from {this}").df()


def plan(previous: pd.DataFrame, current: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """(customers to score, rows to keep): the customers whose digest is new or differs, and the previous rows
    of the other current customers (customers who are gone are in neither)."""
    stored = current["customer_id"].map(
        previous.drop_duplicates("customer_id", keep=False).set_index("customer_id")[DIGEST_COLUMN]
    )
    same = stored.eq(current[DIGEST_COLUMN]).fillna(False).to_numpy(dtype=bool)
    kept_ids = current.loc[same, "customer_id"]
    kept = previous[previous["customer_id"].isin(kept_ids)].reset_index(drop=True)
    return current.loc[~same, "customer_id"].to_numpy(), kept


def features_of(session, features, customer_ids: np.ndarray):
    """The DuckDB relation of these customers' features only."""
    chosen = session.from_df(pd.DataFrame({"customer_id": pd.Series(customer_ids, dtype=object)}))
    return features.join(chosen, "customer_id").project(", ".join(f'"{name}"' for name in features.columns))
