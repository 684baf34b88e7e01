"""Top N products for every customer with the last registered recommender (python_udfs/recs/engine.py).

Today's interactions feed the profiles and the trending fill; the EASE weights
and repeat-purchase rates come from the registered model, so a score-only job
does not refit. fct_customer_recommendations adds product fields and a contract.
"""

import joblib

from python_udfs.ml.artifacts import resolve_artifact_path
from python_udfs.recs.engine import recommend
from python_udfs.recs.training import customer_frame


def model(dbt, session):
    dbt.config(materialized="table")
    registry = dbt.ref("ml_model_runs").to_arrow_table().to_pandas()
    runs = registry[registry["model_name"] == "recommendations"].sort_values("trained_at")
    if runs.empty:
        raise RuntimeError("no recommendations model in ml_model_runs: run the weekly_retrain selector first")
    path = resolve_artifact_path(runs["artifact_path"].iloc[-1], dbt.config.get("model_dir"))
    fitted = joblib.load(path)["model"]
    features = dbt.ref("fct_customer_features").to_arrow_table().to_pandas()
    customers = dbt.ref("dim_customers").to_arrow_table().to_pandas()[["customer_id"]]
    customers = customers.merge(customer_frame(features), on="customer_id", how="left")
    out = recommend(
        fitted,
        dbt.ref("int_recommendation_events").to_arrow_table().to_pandas(),
        dbt.ref("stg_shop__products").to_arrow_table().to_pandas(),
        customers,
        dbt.ref("recommendation_rules").to_arrow_table().to_pandas(),
        as_of=features["cutoff_at"].max(),
    )
    out["model_version"] = runs["model_version"].iloc[-1]
    return out
