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
"""

from python_udfs.dbt_io import artifact_store, to_engine, to_pandas, to_pandas_batches
from python_udfs.ml.gate import GateThresholds
from python_udfs.ml.training import score_batches
from python_udfs.registry import raise_if_no_registry


def model(dbt, session):
    dbt.config(materialized="table")
    try:
        registry = to_pandas(dbt.ref("ml_predictive_model_runs"))
    except Exception as error:
        raise_if_no_registry(error)  # a fresh warehouse: says to run the full build first
        raise
    current = to_pandas_batches(dbt.ref("int_customer_features"), int(dbt.config.get("batch_rows")))
    gate = GateThresholds.from_config(
        {
            # dbt only passes config keys that the model names literally
            "min_training_rows": dbt.config.get("min_training_rows"),
            "min_positives": dbt.config.get("min_positives"),
            "min_auc": dbt.config.get("min_auc"),
        }
    )
    out = score_batches(
        current,
        registry,
        horizon_days=int(dbt.config.get("horizon_days")),
        model_dir=artifact_store(dbt.config.get("model_dir"), session),
        gate=gate,
    )
    return to_engine(out, session)
