"""The global holdout by month: the experiment statistics of python_udfs/experiments.py.

Thin on purpose: the same ``compute_results`` as int_experiment_results_computed,
over int_programme_arm_stats_monthly (its ``group_month`` column keys the months).
rpt_programme_impact puts a contract on top.
"""

from python_udfs.dbt_io import to_engine, to_pandas
from python_udfs.experiments import compute_results


def model(dbt, session):
    dbt.config(materialized="table")
    arms = to_pandas(dbt.ref("int_programme_arm_stats_monthly"))
    out = compute_results(
        arms,
        min_units=int(dbt.config.get("min_units")),
        min_events=int(dbt.config.get("min_events")),
        srm_threshold=float(dbt.config.get("srm_threshold")),
        confidence=float(dbt.config.get("confidence")),
    )
    return to_engine(out, session)
