{% macro checkpoint_after_incremental() %}
    {#- A post-hook of every model (dbt_project.yml), run outside its transaction:
        on DuckDB with one dbt thread, `checkpoint` after an incremental model.
        DuckDB holds what an incremental run deleted and inserted in a large table
        in memory until a checkpoint; at 1,000,000 contacts, the hourly refresh's
        merges held about 665 MB of the 2 GB limit, and int_trigger_candidates,
        which fits alone in 500 MB, ran out of memory after them. CHECKPOINT fails
        while another transaction runs, so with more dbt threads nothing is run.
        Blank otherwise: dbt skips a blank hook. -#}
    {%- if target.type == 'duckdb' and target.threads == 1 and model.config.materialized == 'incremental' -%}
        checkpoint
    {%- endif -%}
{% endmacro %}
