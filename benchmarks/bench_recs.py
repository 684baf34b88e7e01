"""Benchmark of recommendations for 100,000 contacts over 5,000 products (--products: any catalogue size).

Builds the project on generated data once up to the registry (untimed),
then times the retrain alone (`dbt run` of ml_recommender_runs: the holdout
evaluation and the fit on everything, its wall time and peak memory), then times
`dbt run` of ml_customer_recommendations and fct_customer_recommendations:
top var recommendations_top_n for every customer in dim_customers with the
registered recommender. Prints what it measured and writes
benchmarks/results/recommendations.json (recommendations_<products>.json when
--products is given), with the peak memory of the training node's dbt run too.

    PYTHONPATH=scripts python benchmarks/bench_recs.py --contacts 100000 [--products 100000]
"""

from __future__ import annotations

import json

import duckdb
from benchlib import generated_bench, report_timed_layer, run_dbt_measured

SCORING = ["ml_customer_recommendations", "fct_customer_recommendations"]


def main(argv: list[str] | None = None) -> dict:
    a, work, env, dbt_vars = generated_bench(__doc__, "recs", argv)
    # everything the registry needs but the recommender, untimed; then the retrain alone, so its peak is its own
    # (the marts fct_customer_recommendations reads, dim_customers among them, included)
    upstream = ["run", "--select", "+ml_model_runs", "+fct_customer_recommendations", "--exclude",
                "ml_recommender_runs", "int_model_runs_graded", "ml_model_runs", *SCORING,
                "--vars", dbt_vars]  # fmt: skip
    run_dbt_measured(upstream, env, work / "upstream")
    trained = run_dbt_measured(["run", "--select", "ml_recommender_runs", "--vars", dbt_vars], env, work / "train")
    registry_seconds = next(n["seconds"] for n in trained["nodes"] if n["node"].endswith("ml_recommender_runs"))
    registry = ["run", "--select", "int_model_runs_graded", "ml_model_runs", "--vars", dbt_vars]
    run_dbt_measured(registry, env, work / "registry")
    scored = run_dbt_measured(["run", "--select", *SCORING, "--vars", dbt_vars], env, work / "score")
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        customers, rows, products = con.execute(
            """
            select count(distinct customer_id), count(*),
                   (select count(*) from staging.stg_shop__products where is_active)
            from main.fct_customer_recommendations
            """
        ).fetchone()
        events = con.execute("select count(*) from intermediate.int_recommendation_events").fetchone()[0]
        metrics = json.loads(
            con.execute(
                "select metrics from main.ml_model_runs where model_name = 'recommendations' order by trained_at desc"
            ).fetchone()[0]
        )
    report = {"contacts": a.contacts, "customers": customers, "rows": rows, "active_products": products,
              "interaction_events": events, "registry_node_seconds": round(registry_seconds, 1),
              "training_run_wall_seconds": round(trained["wall_seconds"], 1),
              "training_run_peak_rss_mib": round(trained["peak_rss_mib"]), "holdout_metrics": metrics}  # fmt: skip
    print(f"{customers:,} customers x top 10 = {rows:,} rows over {products:,} active products; "
          f"{events:,} interaction events")  # fmt: skip
    print(f"ml_recommender_runs (holdout evaluation, then the fit on everything): {registry_seconds:.1f} s; dbt run "
          f"{trained['wall_seconds']:.1f} s wall, peak memory {trained['peak_rss_mib']:,.0f} MiB")  # fmt: skip
    ranker = metrics.get("ranker", {})
    print(f"ranker: used {ranker.get('used')}, {ranker.get('rows', 0):,} rows from {ranker.get('customers', 0):,} "
          f"customers; EASE over {metrics.get('items_in_collaborative_model', 0):,} items")  # fmt: skip
    print(f"in-build holdout: ndcg@10 {metrics['ndcg@10']:.4f} (popularity {metrics['popularity']['ndcg@10']:.4f}), "
          f"coverage {metrics['coverage']:.3f}")  # fmt: skip
    name = "recommendations" if a.products is None else f"recommendations_{a.products}"
    report_timed_layer(name, "recommend (ml_customer_recommendations, fct_customer_recommendations)",
                       scored, report)  # fmt: skip
    return report


if __name__ == "__main__":
    main()
