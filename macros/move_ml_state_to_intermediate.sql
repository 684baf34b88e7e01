{% macro move_ml_state_to_intermediate() %}
    {{ return(adapter.dispatch('move_ml_state_to_intermediate')()) }}
{% endmacro %}

{% macro default__move_ml_state_to_intermediate() %}
    {#- The ML state is written by Python models, which run on DuckDB only: no
        warehouse on another engine was ever built with it in the target schema. -#}
    {%- if execute -%}
        {{ log("Upgrade step move_ml_state_to_intermediate skipped: the ML registries are DuckDB's (Python models); "
            ~ target.type ~ " holds copies of their tables only.", info=false) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__move_ml_state_to_intermediate() %}
    {#- Upgrade path for warehouses built before the ML steps moved to
        models/intermediate (issue 14). The model registries and the drift
        history are state, appended run after run (the registry names the saved
        models under MODEL_DIR); they used to be built in the target schema and
        now live in schema intermediate. On the first run after the upgrade,
        each one that intermediate lacks and the target schema holds is copied
        over, so the registered versions keep scoring and the next retrain
        appends to them instead of starting a new registry. The copies commit
        together (dbt rolls back what a hook leaves open). dbt filled its
        relation cache before this hook runs: each copy is added to it, else
        the incremental model would not see it and would replace it. The old
        table is left where it was (the ml_model_runs view still reads it until
        its next build) and a log line says it can be dropped. -#}
    {%- if execute -%}
        {%- set copied = [] -%}
        {%- for name in ['ml_predictive_model_runs', 'ml_recommender_runs', 'ml_feature_drift'] -%}
            {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ name) -%}
            {%- if node is not none and node.schema != target.schema -%}
                {%- set new = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
                {%- set old = adapter.get_relation(database=node.database, schema=target.schema, identifier=node.alias) -%}
                {%- if new is none and old is not none -%}
                    {%- set moved = api.Relation.create(
                        database=node.database, schema=node.schema, identifier=node.alias, type='table'
                    ) -%}
                    {% do run_query('create schema if not exists ' ~ adapter.quote(node.schema)) %}
                    {% do run_query('create table ' ~ moved ~ ' as select * from ' ~ old) %}
                    {% do adapter.cache_added(moved) %}
                    {% do copied.append(name) %}
                    {{ log('Upgrade: copied ' ~ old ~ ' to ' ~ moved ~ ', where ' ~ name ~ ' now lives; ' ~ old
                        ~ ' is no longer written and can be dropped after the next full build.', info=true) }}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if copied -%}
            {% do adapter.commit() %}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
