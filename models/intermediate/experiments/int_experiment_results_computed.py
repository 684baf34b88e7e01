"""Experiment statistics per experiment, variant and metric (see python_udfs/experiments.py).

Thin on purpose: read the per-arm sums, call the tested library, return a frame.
rpt_experiment_results puts a contract on top.
"""

from python_udfs.dbt_io import to_engine, to_pandas
from python_udfs.experiments import compute_results


def model(dbt, session):
    dbt.config(materialized="table")
    arms = to_pandas(dbt.ref("int_experiment_arm_stats"))
    out = compute_results(
        arms,
        min_units=int(dbt.config.get("min_units")),
        min_events=int(dbt.config.get("min_events")),
        srm_threshold=float(dbt.config.get("srm_threshold")),
        confidence=float(dbt.config.get("confidence")),
    )
    return to_engine(out, session)
