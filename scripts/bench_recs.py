"""Benchmark of recommendations for 100,000 contacts over 5,000 products: top 10 for every customer.

Builds the project on generated data once up to the registry (untimed,
except that it prints the node time of ml_recommender_runs: the holdout
evaluation and the fit on everything), then times
`dbt run` of ml_customer_recommendations and fct_customer_recommendations:
top var recommendations_top_n for every customer in dim_customers with the
registered recommender. Prints what it measured and writes
benchmarks/results/recommendations.json.

    python scripts/bench_recs.py --contacts 100000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
from benchlib import PROJECT_DIR, dbt_env, generate_bench_data, report_timed_layer, run_dbt_measured

SCORING = ["ml_customer_recommendations", "fct_customer_recommendations"]


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--end-date", default="2026-11-01")
    ap.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "data" / "bench" / "recs")
    a = ap.parse_args(argv)

    work = a.work_dir
    raw = generate_bench_data(work, a.contacts, a.end_date)
    env = dbt_env(raw, work / "warehouse.duckdb")
    dbt_vars = json.dumps({"as_of_date": a.end_date})
    run_dbt_measured(["seed", "--vars", dbt_vars], env, work / "upstream")
    upstream = ["run", "--select", "+ml_model_runs", "--vars", dbt_vars]
    trained = run_dbt_measured(upstream, env, work / "upstream")
    registry_seconds = next(n["seconds"] for n in trained["nodes"] if n["node"].endswith("ml_recommender_runs"))
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
              "holdout_metrics": metrics}  # fmt: skip
    print(f"{customers:,} customers x top 10 = {rows:,} rows over {products:,} active products; "
          f"{events:,} interaction events")  # fmt: skip
    print(f"ml_recommender_runs (holdout evaluation, then the fit on everything): {registry_seconds:.1f} s")
    print(f"in-build holdout: ndcg@10 {metrics['ndcg@10']:.4f} (popularity {metrics['popularity']['ndcg@10']:.4f}), "
          f"coverage {metrics['coverage']:.3f}")  # fmt: skip
    report_timed_layer("recommendations", "recommend (ml_customer_recommendations, fct_customer_recommendations)",
                       scored, report)  # fmt: skip
    return report


if __name__ == "__main__":
    main()
