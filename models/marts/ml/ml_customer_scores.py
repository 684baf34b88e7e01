"""Scores every customer with the latest registered models (see python_udfs/ml/training.py).

fct_customer_scores puts a contract and the action tier on top.
"""

from python_udfs.ml.training import score_all


def model(dbt, session):
    dbt.config(materialized="table")
    current = dbt.ref("fct_customer_features").to_arrow_table().to_pandas()
    registry = dbt.ref("ml_model_runs").to_arrow_table().to_pandas()
    return score_all(
        current, registry, horizon_days=int(dbt.config.get("horizon_days")), model_dir=dbt.config.get("model_dir")
    )
