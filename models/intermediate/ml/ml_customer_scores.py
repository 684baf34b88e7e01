"""Scores every customer with the current registered models (see python_udfs/ml/training.py).

The current version of a model is its last run in the registry
(ml_predictive_model_runs) that passed the quality gate (python_udfs/ml/gate.py),
the run ml_model_runs marks is_current; is_fallback, scoring_note and scored_with_versions
say when a newer run was rejected and which versions scored. With no passing
propensity version, or no registry yet (score_only on a fresh warehouse), the
model stops with a message that says what to do; with no passing churn, clv or
clusters version, those columns are null and scoring_note says why. fct_customer_scores puts a contract and
the action tier on top.

The features are read in batches of config batch_rows customers (var
ml_batch_rows, 100,000), so memory holds one batch of features at a time;
the scores do not depend on the batching (score_batches).

On DuckDB a run scores again only the customers whose features or registry
changed since the table was made, or whose row is more than var
rescoring_max_age_days old, keeps the other rows and ranks the deciles over
everyone (python_udfs/ml/rescoring.py): within a day, the same table as scoring
everyone. Elsewhere it scores everyone on every run.
"""

import pandas as pd

from python_udfs.dbt_io import (
    artifact_store,
    customers_only,
    decimals_as_double,
    to_engine,
    to_pandas,
    to_pandas_batches,
)
from python_udfs.ml import rescoring
from python_udfs.ml.gate import GateThresholds
from python_udfs.ml.training import score_batches
from python_udfs.registry import raise_if_no_registry
from python_udfs.rescoring_age import SCORED_AS_OF_COLUMN, max_age_days
from python_udfs.warehouse_memory import release


def model(dbt, session):
    dbt.config(materialized="table")
    # what the SQL models before left in DuckDB's memory, before this model's frames
    release(session)
    try:
        registry = to_pandas(dbt.ref("ml_predictive_model_runs"))
    except Exception as error:
        raise_if_no_registry(error)  # a fresh warehouse: says to run the full build first
        raise
    features = dbt.ref("int_customer_features")
    settings = {
        # dbt only passes config keys that the model names literally
        "min_training_rows": dbt.config.get("min_training_rows"),
        "min_positives": dbt.config.get("min_positives"),
        "min_auc": dbt.config.get("min_auc"),
    }
    gate = GateThresholds.from_config(settings)
    horizon_days = int(dbt.config.get("horizon_days"))
    digests, kept = None, None
    if hasattr(features, "project"):  # DuckDB: each row records what it was scored from
        shared = rescoring.shared_digest(registry, horizon_days=horizon_days, **settings)
        digests = rescoring.feature_digests(features, shared)
        planned = rescoring.plan(session, dbt.this, digests, max_age_days(dbt.config.get("max_age_days")))
        if planned is not None:
            rescore, kept = planned
            features = customers_only(session, features, rescore)
    out = score_batches(
        # money columns as doubles (after the digests, which hash the stored values): they only become floats
        to_pandas_batches(decimals_as_double(features), int(dbt.config.get("batch_rows"))),
        registry,
        horizon_days=horizon_days,
        model_dir=artifact_store(dbt.config.get("model_dir"), session),
        gate=gate,
        kept=kept,
    )
    if digests is not None:
        out = rescoring.stamp(out, digests, kept)
    else:
        out[rescoring.DIGEST_COLUMN] = pd.Series(pd.NA, index=out.index, dtype="string")
        out[SCORED_AS_OF_COLUMN] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    return to_engine(out, session)
