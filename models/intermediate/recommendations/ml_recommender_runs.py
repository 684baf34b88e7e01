"""Registry rows of the recommender, appended by every retrain (read them through ml_model_runs).

Evaluates the recommender (python_udfs/recs/) on the purchases of the last var
recommendation_holdout_days, fitted on everything before them, then fits it on
all interactions and saves it under MODEL_DIR. A node of its own, so dbt trains
it alongside the predictive models.
"""

from datetime import UTC, datetime

from python_udfs.dbt_io import artifact_store, to_engine, to_pandas
from python_udfs.recs.reading import read_coded
from python_udfs.recs.training import FEATURE_COLUMNS, customer_frame, params_from_config, train_recommender
from python_udfs.registry import registry_frame
from python_udfs.warehouse_memory import release


def model(dbt, session):
    # append_new_columns: registries written before the gate existed gain is_promoted and gate_failure_reason
    dbt.config(materialized="incremental", incremental_strategy="append", on_schema_change="append_new_columns")
    # what the SQL models before left in DuckDB's memory, before this model's frames
    release(session)
    features = to_pandas(dbt.ref("int_customer_features").select(*FEATURE_COLUMNS))
    # the interactions with codes for ids, in order (on DuckDB the warehouse codes and sorts them)
    inputs = read_coded(
        session, dbt.ref("int_recommendation_events"), to_pandas(dbt.ref("int_products_ranked")),
        customer_frame(features),
    )  # fmt: skip
    release(session)  # the sort of the interactions, before the fits
    row = train_recommender(
        inputs,
        None,
        None,
        to_pandas(dbt.ref("recommendation_rules")),
        features["cutoff_at"].max(),
        params_from_config(
            {
                # dbt only passes config keys that the model names literally
                "top_n": dbt.config.get("top_n"),
                "max_per_category": dbt.config.get("max_per_category"),
                "half_life_days": dbt.config.get("half_life_days"),
                "ease_lambda": dbt.config.get("ease_lambda"),
                "ease_max_items": dbt.config.get("ease_max_items"),
            }
        ),
        holdout_days=int(dbt.config.get("holdout_days")),
        model_dir=artifact_store(dbt.config.get("model_dir"), session),
        trained_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
    )
    return to_engine(registry_frame([row]), session)
