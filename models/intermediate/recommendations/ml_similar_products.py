"""More like this product: the top var similar_products_top_n other active products for every active product.

Blends the last registered recommender's collaborative item x item weights
(EASE) with its content similarity (python_udfs/recs/similar.py), filled with
bestsellers; the recommender is loaded through the model registry
(python_udfs/registry.py) like ml_customer_recommendations, so no refit.
fct_similar_products adds product fields and a contract.
"""

from python_udfs.dbt_io import artifact_store, to_engine, to_pandas
from python_udfs.recs.similar import similar_products
from python_udfs.registry import current_model, raise_if_no_registry


def model(dbt, session):
    dbt.config(materialized="table")
    try:
        registry = to_pandas(dbt.ref("ml_recommender_runs"))
    except Exception as error:
        raise_if_no_registry(error)  # a fresh warehouse: says to run the full build first
        raise
    run, saved = current_model(registry, "recommendations", artifact_store(dbt.config.get("model_dir"), session))
    out = similar_products(
        saved["model"],
        to_pandas(dbt.ref("int_products_ranked")),
        top_n=int(dbt.config.get("top_n")),
    )
    out["model_version"] = run["current"]["model_version"]
    return to_engine(out, session)
