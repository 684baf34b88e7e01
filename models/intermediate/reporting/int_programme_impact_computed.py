"""The global holdout by month: the experiment statistics of python_udfs/experiments.py.

Thin on purpose: the same ``compute_results`` as int_experiment_results_computed,
over int_programme_arm_stats_monthly (its ``group_month`` column keys the months).
rpt_programme_impact puts a contract on top.
"""

from python_udfs.experiments import compute_results


def model(dbt, session):
    dbt.config(materialized="table")
    arms = dbt.ref("int_programme_arm_stats_monthly").to_arrow_table().to_pandas()
    return compute_results(
        arms,
        min_units=int(dbt.config.get("min_units")),
        min_events=int(dbt.config.get("min_events")),
        srm_threshold=float(dbt.config.get("srm_threshold")),
        confidence=float(dbt.config.get("confidence")),
    )
