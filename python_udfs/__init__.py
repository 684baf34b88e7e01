"""Plain, typed Python used by the dbt project: UDFs and model logic.

Nothing here imports dbt, so every function can be unit-tested on its own and
reused on another engine. ``dbt_plugin`` is the one bridge: it registers the
UDFs on dbt-duckdb's connection.
"""
