"""Cumulative daily experiment statistics, for charts (see python_udfs/experiments.py)."""

from python_udfs.dbt_io import to_engine, to_pandas
from python_udfs.experiments import compute_results


def model(dbt, session):
    dbt.config(materialized="table")
    arms = to_pandas(dbt.ref("int_experiment_arm_stats_daily"))
    arms = arms.rename(columns={"result_date": "group_result_date"})
    results = compute_results(
        arms,
        min_units=int(dbt.config.get("min_units")),
        min_events=int(dbt.config.get("min_events")),
        srm_threshold=float(dbt.config.get("srm_threshold")),
        confidence=float(dbt.config.get("confidence")),
    )
    return to_engine(results.rename(columns={"group_result_date": "result_date"}), session)
