"""Registry rows of the predictive models, appended by every retrain (read them through ml_model_runs).

Trains propensity, churn, CLV and clusters (python_udfs/ml/training.py) on
int_training_snapshots; saves each under MODEL_DIR and records its version,
parameters, features, metrics and feature importance, and the snapshot plan
the training set followed (int_training_cutoffs_planned). Leave this model out of
a run (selector score_only) to score with the last registered models.
"""

from datetime import UTC, datetime

from python_udfs.ml.training import train_all

PLAN_COLUMNS = ("label_days", "step_days", "snapshot_count", "history_days", "customers", "horizon_days",
                "min_feature_days")  # fmt: skip


def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="append")
    snapshots = dbt.ref("int_training_snapshots").to_arrow_table().to_pandas()
    current = dbt.ref("fct_customer_features").to_arrow_table().to_pandas()
    planned = dbt.ref("int_training_cutoffs_planned").to_arrow_table().to_pandas()
    plan = {name: int(planned[name].iloc[0]) for name in PLAN_COLUMNS} if len(planned) else {}
    return train_all(
        snapshots,
        current,
        model_dir=dbt.config.get("model_dir"),
        trained_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        as_of=str(current["cutoff_at"].max()),
        plan=plan,
    )
