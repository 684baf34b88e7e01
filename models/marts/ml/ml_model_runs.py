"""The model registry: one row per trained model, appended by every retrain.

Trains propensity, churn, CLV and clusters (python_udfs/ml/training.py) on
int_training_snapshots, and the recommender (python_udfs/recs/training.py) on
int_recommendation_events; saves each under MODEL_DIR and records its version,
parameters, features, metrics and feature importance. Leave this model out of
a run (selector score_only) to score with the last registered models.
"""

from datetime import UTC, datetime

import pandas as pd

from python_udfs.ml.training import train_all
from python_udfs.recs.training import customer_frame, params_from_config, train_recommender


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    snapshots = dbt.ref("int_training_snapshots").to_arrow_table().to_pandas()
    current = dbt.ref("fct_customer_features").to_arrow_table().to_pandas()
    trained_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    as_of = current["cutoff_at"].max()
    predictive = train_all(snapshots, current, model_dir=dbt.config.get("model_dir"), trained_at=trained_at,
                           as_of=str(as_of))  # fmt: skip
    recommender = train_recommender(
        dbt.ref("int_recommendation_events").to_arrow_table().to_pandas(),
        dbt.ref("stg_shop__products").to_arrow_table().to_pandas(),
        customer_frame(current),
        dbt.ref("recommendation_rules").to_arrow_table().to_pandas(),
        as_of,
        params_from_config(
            {
                # dbt only passes config keys that the model names literally
                "top_n": dbt.config.get("top_n"),
                "max_per_category": dbt.config.get("max_per_category"),
                "half_life_days": dbt.config.get("half_life_days"),
                "ease_lambda": dbt.config.get("ease_lambda"),
            }
        ),
        holdout_days=int(dbt.config.get("holdout_days")),
        model_dir=dbt.config.get("model_dir"),
        trained_at=trained_at,
    )
    return pd.concat([predictive, pd.DataFrame([recommender])], ignore_index=True)
