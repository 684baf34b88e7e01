"""Drift of features and scores at each scoring run: population stability index against training data."""

from datetime import UTC, datetime

from python_udfs.arrow_strings import isin_strings
from python_udfs.dbt_io import artifact_store, decimals_as_double, to_engine, to_pandas
from python_udfs.ml.training import drift
from python_udfs.registry import raise_if_no_registry


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    # money columns as doubles: the features only become floats (feature_matrix)
    current = to_pandas(decimals_as_double(dbt.ref("int_customer_features")))
    try:
        registry = to_pandas(dbt.ref("ml_predictive_model_runs"))
    except Exception as error:
        raise_if_no_registry(error)  # a fresh warehouse: says to run the full build first
        raise
    scores = to_pandas(dbt.ref("ml_customer_scores"))
    # the scored customers' features: PSI counts values per bin, so their order does not matter (indexing 1.29 M
    # rows by string id into the scores' order took 1.4 to 2.5 s at 1,000,000 contacts, Arrow's is_in 0.5 to 0.8 s)
    current = current[isin_strings(current["customer_id"], scores["customer_id"])]
    out = drift(
        current,
        registry,
        scores["purchase_propensity"],
        scored_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        model_dir=artifact_store(dbt.config.get("model_dir"), session),
    )
    return to_engine(out, session)
