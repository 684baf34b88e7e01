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
            {#- Exactly <table>.csv, <table>.parquet or the parts <table>/*.parquet:
                no other name (crm_contacts.old.csv) is ever read, and two of them
                for one table is an error rather than a silent choice. -#}
            {%- set base = raw_dir ~ "/" ~ table -%}
            {%- set candidates = [
                {'label': table ~ '.csv', 'pattern': base ~ '.csv', 'format': 'csv'},
                {'label': table ~ '.parquet', 'pattern': base ~ '.parquet', 'format': 'parquet'},
                {'label': table ~ '/*.parquet', 'pattern': base ~ '/*.parquet', 'format': 'parquet'},
            ] -%}
            {%- set present = [] -%}
            {%- for candidate in candidates -%}
                {%- set found = run_query("select count(*) from glob(" ~ quote_literal(candidate.pattern) ~ ")") -%}
                {%- if found.rows[0][0] > 0 -%}
                    {%- do present.append(candidate) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if present | length == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table ~ "' not found: expected " ~ table ~ ".parquet, "
                    ~ table ~ ".csv or " ~ table ~ "/*.parquet in '" ~ raw_dir ~ "' (set RAW_DATA_DIR, or the var "
                    ~ "raw_schema to read a warehouse schema). See the raw contract in the README."
                ) }}
            {%- elif present | length > 1 -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table ~ "' is ambiguous: found both "
                    ~ present | map(attribute='label') | join(' and ') ~ " in '" ~ raw_dir
                    ~ "'. Keep exactly one of them and move the other out of the folder."
                ) }}
            {%- endif -%}
            {%- set chosen = present[0] -%}
            {%- if chosen.format == 'parquet' -%}
                {%- set reader = "read_parquet(" ~ quote_literal(chosen.pattern) ~ ")" -%}
            {%- else -%}
                {%- set reader = "read_csv(" ~ quote_literal(chosen.pattern) ~ ", header = true, all_varchar = true)" -%}
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
            {#- The contract lets every table be empty except these two: without
                contacts or orders there is nobody to score or export. -#}
            {%- if src.identifier in ('crm_contacts', 'orders') -%}
                {%- set any_row = run_query('select 1 from ' ~ relation ~ ' limit 1') -%}
                {%- if any_row.rows | length == 0 -%}
                    {%- do problems.append(
                        "table '" ~ src.identifier ~ "' has no rows (only crm_contacts and orders must not be empty)"
                    ) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "The raw data does not meet the raw contract: " ~ problems | join('; ')
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
