"""More like this product: the top var similar_products_top_n other active products for every active product.

Blends the last registered recommender's collaborative item x item weights
(EASE) with its content similarity (python_udfs/recs/similar.py), filled with
bestsellers; the recommender is loaded through the model registry
(python_udfs/registry.py) like ml_customer_recommendations, so no refit.
fct_similar_products adds product fields and a contract.
"""

from python_udfs.recs.similar import similar_products
from python_udfs.registry import current_model, raise_if_no_registry


def model(dbt, session):
    dbt.config(materialized="table")
    try:
        registry = dbt.ref("ml_recommender_runs").to_arrow_table().to_pandas()
    except Exception as error:
        raise_if_no_registry(error)  # a fresh warehouse: says to run the full build first
        raise
    run, saved = current_model(registry, "recommendations", dbt.config.get("model_dir"))
    out = similar_products(
        saved["model"],
        dbt.ref("int_products_ranked").to_arrow_table().to_pandas(),
        top_n=int(dbt.config.get("top_n")),
    )
    out["model_version"] = run["current"]["model_version"]
    return out
