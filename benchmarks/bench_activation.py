"""Benchmark of the activation and export layer for 100,000 customers.

Builds the project on generated data once (not timed), then times
`dbt run --select tag:activation tag:exports` alone: contactability, send
times, bestsellers, personalised fields, trigger candidates and audiences and
the sync_* marts (built in exports_pending: `dbt run` publishes nothing). Prints what it measured and writes
benchmarks/results/activation.json.

    PYTHONPATH=scripts python benchmarks/bench_activation.py --contacts 100000
"""

from __future__ import annotations

import duckdb
from benchlib import generated_bench, report_timed_layer, run_dbt_measured

TABLES = [
    "main.fct_customer_personalization",
    "main.fct_trigger_audiences",
    "exports_pending.sync_mailchimp__members",
    "exports_pending.sync_esp__audiences",
    "exports_pending.sync_esp__suppressions",
]


def main(argv: list[str] | None = None) -> dict:
    a, work, env, dbt_vars = generated_bench(__doc__, "activation", argv)
    run_dbt_measured(["run", "--exclude", "tag:activation", "tag:exports", "--vars", dbt_vars], env, work / "upstream")
    run = run_dbt_measured(
        ["run", "--select", "tag:activation", "tag:exports", "--vars", dbt_vars], env, work / "timed"
    )
    counts = {}
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as con:
        customers = con.execute("select count(*) from main.dim_customers").fetchall()[0][0]
        for table in TABLES:
            counts[table] = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    report = {"contacts": a.contacts, "customers": customers, "rows": counts}
    print(f"{customers:,} customers from {a.contacts:,} contacts")
    print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    report_timed_layer("activation", "activation + exports (dbt run --select tag:activation tag:exports)", run, report)
    return report


if __name__ == "__main__":
    main()
