"""Top N products for every customer with the current recommender (python_udfs/recs/engine.py).

The current recommender is the last run that passed its quality gate
(python_udfs/ml/gate.py), loaded through the model registry
(python_udfs/registry.py); is_fallback and scoring_note say when a newer run
was rejected.

Today's interactions feed the profiles and the trending fill; the EASE weights
and repeat-purchase rates come from the registered model, so a score-only job
does not refit. fct_customer_recommendations adds product fields and a contract.
"""

import pandas as pd

from python_udfs.dbt_io import artifact_store, to_engine, to_pandas
from python_udfs.recs.engine import recommend
from python_udfs.recs.training import EVENT_CATEGORICAL, FEATURE_COLUMNS, customer_frame
from python_udfs.registry import current_model, raise_if_no_registry


def model(dbt, session):
    dbt.config(materialized="table")
    try:
        registry = to_pandas(dbt.ref("ml_recommender_runs"))
    except Exception as error:
        raise_if_no_registry(error)  # a fresh warehouse: says to run the full build first
        raise
    run, saved = current_model(registry, "recommendations", artifact_store(dbt.config.get("model_dir"), session))
    fitted = saved["model"]
    features = to_pandas(dbt.ref("int_customer_features").select(*FEATURE_COLUMNS))
    customers = to_pandas(dbt.ref("int_customers_unified").select("customer_id"))
    customers = customers.merge(customer_frame(features), on="customer_id", how="left")
    out = recommend(
        fitted,
        to_pandas(dbt.ref("int_recommendation_events"), categorical=EVENT_CATEGORICAL),
        to_pandas(dbt.ref("int_products_ranked")),
        customers,
        to_pandas(dbt.ref("recommendation_rules")),
        as_of=features["cutoff_at"].max(),
    )
    out["model_version"] = run["current"]["model_version"]
    out["is_fallback"] = run["is_fallback"]
    out["scoring_note"] = pd.Series(run["note"], index=out.index, dtype="string")
    return to_engine(out, session)
