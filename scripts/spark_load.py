"""Load tables into a Spark schema for `make test-spark`.

Two jobs, both over Spark Connect (SPARK_REMOTE=sc://host:port):

* ``raw``: the raw contract's files in RAW_DATA_DIR become tables of one Spark
  schema (the project then reads them with the var ``raw_schema``, as on any
  warehouse). CSV files land as text columns, as a warehouse loader lands them;
  Parquet keeps its types.
* ``python-outputs``: open-source Spark cannot run dbt Python models, so the
  outputs of the project's Python models are copied from a DuckDB build of the
  same data into the same schema and table names, and the Spark build then runs
  every SQL model downstream of them.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys

import duckdb

RAW_TABLES = (
    "crm_contacts",
    "products",
    "orders",
    "order_items",
    "web_events",
    "email_events",
    "email_subscriptions",
    "campaigns",
    "experiment_assignments",
)


def spark_session():
    from pyspark.sql import SparkSession

    remote = os.environ.get("SPARK_REMOTE")
    if not remote:
        sys.exit("SPARK_REMOTE is not set: start a Spark Connect server (make spark-start) first.")
    return SparkSession.builder.remote(remote).getOrCreate()


def raw_reader(raw_dir: str, table: str) -> str:
    """The DuckDB expression reading one raw table, as register_raw_sources finds it."""
    base = os.path.join(raw_dir, table)
    if os.path.exists(base + ".parquet"):
        return f"read_parquet('{base}.parquet')"
    if glob.glob(os.path.join(base, "*.parquet")):
        return f"read_parquet('{base}/*.parquet')"
    if os.path.exists(base + ".csv"):
        return f"read_csv('{base}.csv', all_varchar = true, header = true, ignore_errors = true)"
    sys.exit(f"Raw table '{table}' not found in {raw_dir}")


def load_frame(spark, con, query: str, schema: str, table: str) -> int:
    arrow = con.sql(query).arrow()
    if hasattr(arrow, "read_all"):
        arrow = arrow.read_all()
    spark.sql(f"create schema if not exists {schema}")
    spark.sql(f"drop table if exists {schema}.{table}")
    if arrow.num_rows == 0:
        # Spark cannot infer a schema from no rows: give it the Arrow schema's Spark form
        from pyspark.sql.pandas.types import from_arrow_schema

        frame = spark.createDataFrame([], schema=from_arrow_schema(arrow.schema))
    else:
        frame = spark.createDataFrame(arrow)
    frame.write.mode("overwrite").saveAsTable(f"{schema}.{table}")
    return arrow.num_rows


def portable_select(con, relation: str) -> str:
    """select * with the types Spark has no counterpart for cast to ones it has."""
    columns = []
    for name, type_, *_ in con.sql(f"describe {relation}").fetchall():
        quoted = '"' + name.replace('"', '""') + '"'
        if type_ in ("UBIGINT", "HUGEINT", "UHUGEINT"):
            columns.append(f"cast({quoted} as decimal(38, 0)) as {quoted}")
        elif type_ in ("UINTEGER",):
            columns.append(f"cast({quoted} as bigint) as {quoted}")
        elif type_ in ("USMALLINT", "UTINYINT"):
            columns.append(f"cast({quoted} as integer) as {quoted}")
        elif type_ in ("UUID", "JSON") or type_.startswith("ENUM"):
            columns.append(f"cast({quoted} as varchar) as {quoted}")
        else:
            columns.append(quoted)
    return f"select {', '.join(columns)} from {relation}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="job", required=True)
    raw = sub.add_parser("raw", help="raw contract files -> a Spark schema")
    raw.add_argument("--raw-dir", default=os.environ.get("RAW_DATA_DIR", "data/raw"))
    raw.add_argument("--schema", default="raw")
    outputs = sub.add_parser("python-outputs", help="Python models' tables from a DuckDB build -> Spark")
    outputs.add_argument("--duckdb", required=True, help="the DuckDB warehouse built from the same raw data")
    outputs.add_argument("--models", required=True, help="comma-separated schema.table names, or all")
    args = parser.parse_args()

    spark = spark_session()
    if args.job == "raw":
        con = duckdb.connect()
        for table in RAW_TABLES:
            rows = load_frame(spark, con, f"select * from {raw_reader(args.raw_dir, table)}", args.schema, table)
            print(f"raw {args.schema}.{table}: {rows} rows")
    else:
        con = duckdb.connect(args.duckdb, read_only=True)
        names = args.models.split(",")
        if args.models == "all":
            # every relation a build wrote (a helper for working on one folder of models at a time)
            names = [
                f"{schema}.{table}"
                for schema, table in con.sql(
                    "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
                    "union all select schema_name, view_name from duckdb_views() "
                    "where database_name = current_database() and not internal "
                    "and schema_name not in ('raw_files', 'information_schema', 'pg_catalog')"
                ).fetchall()
                if schema != "raw_files"
            ]
        for name in names:
            schema, table = name.strip().split(".")
            rows = load_frame(spark, con, portable_select(con, f"{schema}.{table}"), schema, table)
            print(f"python model output {schema}.{table}: {rows} rows")


if __name__ == "__main__":
    main()
