"""Registry rows of the predictive models, appended by every retrain (read them through ml_model_runs).

Trains propensity, churn, CLV and clusters (python_udfs/ml/training.py) on
int_training_snapshots; saves each under MODEL_DIR and records its version,
parameters, features, metrics and feature importance, and the snapshot plan
the training set followed (int_training_cutoffs_planned) and the training
rows used (a stratified sample above var ml_training_max_rows, and of the
validation snapshot above var ml_validation_max_rows). It reads the keys of
every snapshot row, chooses the rows, then reads only those in batches (var
ml_batch_rows), so memory holds the samples, not every snapshot. Each run passes or
fails its quality gate (python_udfs/ml/gate.py, vars ml_gate_*): a failed run
is recorded with is_promoted false and gate_failure_reason, and scoring keeps
the last promoted version. Leave this model out of a run (selector score_only)
to score with the last registered models.
"""

from datetime import UTC, datetime

import pandas as pd

from python_udfs.dbt_io import (
    artifact_store,
    decimals_as_double,
    rows_with_keys,
    to_engine,
    to_pandas,
    to_pandas_batches,
)
from python_udfs.ml.gate import GateThresholds
from python_udfs.ml.training import (
    CURRENT_COLUMNS,
    SNAPSHOT_KEY_COLUMNS,
    choose_snapshot_rows,
    select_snapshot_rows,
    train_all,
    training_row_cap,
)
from python_udfs.warehouse_memory import release

PLAN_COLUMNS = ("label_days", "step_days", "snapshot_count", "history_days", "customers", "horizon_days",
                "min_feature_days")  # fmt: skip


def model(dbt, session):
    # append_new_columns: registries written before the gate existed gain is_promoted and gate_failure_reason
    dbt.config(materialized="incremental", incremental_strategy="append", on_schema_change="append_new_columns")
    # what the SQL models before left in DuckDB's memory, before this model's frames
    release(session)
    relation = dbt.ref("int_training_snapshots")
    # above these many rows (older cut-offs; latest cut-off), a stratified sample trains and validates
    max_training_rows = training_row_cap(dbt.config.get("training_sample_max_rows"))
    max_validation_rows = training_row_cap(dbt.config.get("validation_sample_max_rows"), "ml_validation_max_rows")
    # the keys in the order choose_snapshot_rows puts them in, sorted by the warehouse (in parallel, spilling)
    keys = to_pandas(relation.select(*SNAPSHOT_KEY_COLUMNS), order_by=("cutoff_at", "customer_id"))
    choice = choose_snapshot_rows(keys, max_training_rows, max_validation_rows)
    batch_rows = int(dbt.config.get("batch_rows"))
    wanted = choice.wanted()
    # on DuckDB the warehouse keeps the chosen rows (at 1,000,000 contacts 500,000 of 2.4 M: reading every row and
    # matching their keys here took 5.6 s); elsewhere they are chosen as the batches come
    chosen = rows_with_keys(session, relation, _key_frame(wanted)) if len(wanted) else None
    # money columns (features and the CLV label) as doubles: they only become floats
    rows = decimals_as_double(relation if chosen is None else chosen)
    snapshots = select_snapshot_rows(to_pandas_batches(rows, batch_rows), wanted)
    release(session)  # and what choosing and reading the rows left, before training
    current = to_pandas(dbt.ref("int_customer_features").select(*CURRENT_COLUMNS))
    planned = to_pandas(dbt.ref("int_training_cutoffs_planned"))
    plan = {name: int(planned[name].iloc[0]) for name in PLAN_COLUMNS} if len(planned) else {}
    gate = GateThresholds.from_config(
        {
            # dbt only passes config keys that the model names literally
            "min_training_rows": dbt.config.get("min_training_rows"),
            "min_positives": dbt.config.get("min_positives"),
            "min_auc": dbt.config.get("min_auc"),
        }
    )
    out = train_all(
        snapshots,
        current,
        model_dir=artifact_store(dbt.config.get("model_dir"), session),
        trained_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        as_of=str(current["cutoff_at"].max()),
        plan=plan,
        gate=gate,
        max_training_rows=max_training_rows,
        max_validation_rows=max_validation_rows,
        choice=choice,
    )
    return to_engine(out, session)


def _key_frame(wanted: pd.MultiIndex) -> pd.DataFrame:
    """The chosen (customer_id, cutoff_at) as the warehouse types them (strings, microsecond timestamps)."""
    return pd.DataFrame(
        {
            "customer_id": pd.Series(wanted.get_level_values("customer_id"), dtype=object).astype(str).to_numpy(),
            "cutoff_at": wanted.get_level_values("cutoff_at").astype("datetime64[us]"),
        }
    )
