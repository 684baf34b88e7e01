"""Benchmark of the predictive models for 100,000 contacts: train + score, then score only.

Builds the project on generated data once without the models (not timed),
then times `dbt run` of the training snapshots, the registry (training every
model) and the scoring models, and then the scoring models alone, which reuse
the registered models. Prints what it measured and writes
benchmarks/results/ml.json.

    PYTHONPATH=scripts python benchmarks/bench_ml.py --contacts 100000
"""

from __future__ import annotations

import duckdb
from benchlib import generated_bench, report_timed_layer, run_dbt_measured

SCORING = ["ml_customer_scores", "ml_feature_drift", "fct_customer_scores"]


def main(argv: list[str] | None = None) -> dict:
    a, work, env, dbt_vars = generated_bench(__doc__, "ml", argv)
    timed = ["int_training_cutoffs_planned", "int_training_snapshots", "ml_predictive_model_runs",
             "int_model_runs_graded", "ml_model_runs", *SCORING]  # fmt: skip
    # everything the timed models read (untimed), taken from the graph so a new parent is never missed; the
    # recommender's registry rows too: the ml_model_runs view reads both families
    upstream = ["run", "--select", "+fct_customer_features", "+fct_customer_scores", "+ml_recommender_runs",
                "--exclude", *timed, "--vars", dbt_vars]  # fmt: skip
    # one target folder for every run, as a scheduled deployment keeps: dbt re-parses only what changed
    jobs = work / "jobs"
    run_dbt_measured(upstream, env, jobs)

    train = ["run", "--select", *timed, "--vars", dbt_vars]
    trained = run_dbt_measured(train, env, jobs)
    scored = run_dbt_measured(["run", "--select", *SCORING, "--vars", dbt_vars], env, jobs)
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        customers = con.execute("select count(*) from main.fct_customer_scores").fetchall()[0][0]
        snapshots = con.execute("select count(*) from intermediate.int_training_snapshots").fetchall()[0][0]
        columns = ["auc", "recency_baseline_auc", "calibration_error", "prediction_quality", "quality_grade"]
        runs = con.execute(
            f"select model_name, {', '.join(columns)} from main.ml_model_runs where model_name != 'recommendations'"
        ).fetchall()
    report = {"contacts": a.contacts, "customers_scored": customers, "training_rows": snapshots,
              "models": [dict(zip(["model", *columns], r, strict=True)) for r in runs]}  # fmt: skip
    print(f"{customers:,} customers scored; {snapshots:,} training snapshot rows")
    for r in report["models"]:
        if r["auc"] is None:
            print(f"  {r['model']:<11s} (not a classifier)")
            continue
        print(f"  {r['model']:<11s} auc {r['auc']:.4f}  recency baseline {r['recency_baseline_auc']:.4f}  "
              f"calibration error {r['calibration_error']:.4f}  prediction quality {r['prediction_quality']:.0%} "
              f"({r['quality_grade']})")  # fmt: skip
    report_timed_layer("ml_train", "train + score (snapshots, ml_predictive_model_runs, scoring)", trained, report)
    report_timed_layer("ml_score", "score only (ml_customer_scores, ml_feature_drift, fct_customer_scores)", scored,
                       report)  # fmt: skip
    return report


if __name__ == "__main__":
    main()
