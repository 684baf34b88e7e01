"""The cut-offs of the training snapshots, planned from the history available (python_udfs/ml/snapshots.py).

One row per cut-off (snapshot 0 is the latest, the validation snapshot), each
with the whole plan: label window, step, snapshot count, and what they were
chosen from (days of order history before as_of, customers). The same default
configuration for every data set; int_training_snapshots builds on these rows
and ml_predictive_model_runs records the plan in the registry.
"""

import pandas as pd

from python_udfs.dbt_io import to_engine, to_rows
from python_udfs.ml.snapshots import plan_snapshots


def model(dbt, session):
    dbt.config(materialized="table")
    as_of, first_order, customers = to_rows(dbt.ref("int_training_history_measured"))[0]
    history = None if as_of is None or first_order is None else int((as_of - first_order).total_seconds() // 86_400)
    plan = plan_snapshots(
        history,
        customers,
        int(dbt.config.get("horizon_days")),
        min_feature_days=int(dbt.config.get("min_feature_days")),
        target_rows=int(dbt.config.get("target_rows")),
        max_rows=int(dbt.config.get("max_rows")),
        max_snapshots=int(dbt.config.get("max_snapshots")),
    )
    offsets = plan.cutoff_offsets() if as_of is not None else []
    out = pd.DataFrame({
        "snapshot": range(len(offsets)),
        "cutoff_at": [pd.Timestamp(as_of) - pd.Timedelta(days=days) for days in offsets],
        "as_of_at": pd.Timestamp(as_of) if as_of is not None else pd.NaT,
    })  # fmt: skip
    for name, value in plan.as_dict().items():
        out[name] = value
    out["cutoff_at"] = pd.to_datetime(out["cutoff_at"])
    return to_engine(out, session)
