{% macro register_raw_sources() %}
    {#- Runs before every dbt command (on-run-start). In file mode it exposes each
        raw file as a view in the schema raw_files; in schema mode (var
        raw_schema) it reads the user's tables. Either way it then checks every
        source against the raw contract and stops the run early, naming each
        missing table and column. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set raw_schema = var('raw_schema', none) -%}
    {%- set raw_sources = graph.sources.values() | selectattr('package_name', 'equalto', project_name) | list -%}
    {%- if raw_schema is none or raw_schema == '' -%}
        {%- set raw_dir = env_var('RAW_DATA_DIR', 'data/raw') -%}
        {% do run_query('create schema if not exists raw_files') %}
        {%- for src in raw_sources -%}
            {%- set table = src.identifier -%}
            {%- set files = run_query(
                "select file from glob('" ~ raw_dir ~ "/" ~ table ~ ".*') "
                ~ "where file like '%.parquet' or file like '%.csv' order by file desc"
            ) -%}
            {%- if files.rows | length == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table ~ "' not found: expected " ~ table ~ ".parquet or "
                    ~ table ~ ".csv in '" ~ raw_dir ~ "' (set RAW_DATA_DIR, or the var raw_schema "
                    ~ "to read a warehouse schema). See the raw contract in the README."
                ) }}
            {%- endif -%}
            {%- set path = files.rows[0][0] -%}
            {%- if path.endswith('.parquet') -%}
                {%- set reader = "read_parquet('" ~ path ~ "')" -%}
            {%- else -%}
                {%- set reader = "read_csv('" ~ path ~ "', header = true, all_varchar = true)" -%}
            {%- endif -%}
            {% do run_query('create or replace view raw_files.' ~ table ~ ' as select * from ' ~ reader) %}
        {%- endfor -%}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- for src in raw_sources -%}
        {%- set relation = api.Relation.create(
            database=src.database, schema=src.schema, identifier=src.identifier
        ) -%}
        {%- set actual = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if actual | length == 0 -%}
            {%- do problems.append("table '" ~ src.identifier ~ "' does not exist in " ~ src.schema) -%}
        {%- else -%}
            {%- for column in src.columns.keys() -%}
                {%- if column | lower not in actual -%}
                    {%- do problems.append(
                        "table '" ~ src.identifier ~ "' is missing required column '" ~ column ~ "'"
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "The raw data does not meet the raw contract: " ~ problems | join('; ')
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
