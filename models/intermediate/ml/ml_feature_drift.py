"""Drift of features and scores at each scoring run: population stability index against training data."""

from datetime import UTC, datetime

from python_udfs.ml.training import drift
from python_udfs.registry import raise_if_no_registry


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    current = dbt.ref("int_customer_features").to_arrow_table().to_pandas()
    try:
        registry = dbt.ref("ml_predictive_model_runs").to_arrow_table().to_pandas()
    except Exception as error:
        raise_if_no_registry(error)  # a fresh warehouse: says to run the full build first
        raise
    scores = dbt.ref("ml_customer_scores").to_arrow_table().to_pandas()
    current = current.set_index("customer_id").loc[scores["customer_id"]].reset_index()
    return drift(
        current,
        registry,
        scores["purchase_propensity"],
        scored_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        model_dir=dbt.config.get("model_dir"),
    )
