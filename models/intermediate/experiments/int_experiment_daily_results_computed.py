"""Cumulative daily experiment statistics, for charts (see python_udfs/experiments.py)."""

from python_udfs.experiments import compute_results


def model(dbt, session):
    dbt.config(materialized="table")
    arms = dbt.ref("int_experiment_arm_stats_daily").to_arrow_table().to_pandas()
    arms = arms.rename(columns={"result_date": "group_result_date"})
    results = compute_results(
        arms,
        min_units=int(dbt.config.get("min_units")),
        min_events=int(dbt.config.get("min_events")),
        srm_threshold=float(dbt.config.get("srm_threshold")),
        confidence=float(dbt.config.get("confidence")),
    )
    return results.rename(columns={"group_result_date": "result_date"})
