{% macro register_api_exposures() %}
    {{ return(adapter.dispatch('register_api_exposures')()) }}
{% endmacro %}

{% macro default__register_api_exposures() %}
    {#- Engines other than DuckDB read no file: raw_files.api_exposures is an
        empty table of the view's columns, so the api models and the audit
        build, and say so. -#}
    {%- set relation = api.Relation.create(
        database=target.get('database'), schema='raw_files', identifier='api_exposures', type='table'
    ) -%}
    {% do replace_with_empty_table(relation, [
        ('file_name', dbt.type_string()), ('line_number', dbt.type_bigint()), ('line', dbt.type_string()),
    ]) %}
    {{ log("The API exposure log (EXPOSURE_DIR/exposures-*.jsonl) is read on DuckDB only: on "
        ~ target.type ~ " source api.api_exposures is an empty table.", info=true) }}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__register_api_exposures() %}
    {#- Called by register_raw_sources (on-run-start). The HTTP API's exposure log
        is the project's own files, not a raw contract table: JSON lines in
        EXPOSURE_DIR (default data/exposures), part files exposures-*.jsonl. This
        exposes every line of them as text, with its file name and line number,
        as the view raw_files.api_exposures (source api.api_exposures), so the
        base model can parse each line and reject the malformed ones with a
        reason. Blank lines are not rows. No part file, or no folder: the view is
        empty and the build goes on. -#}
    {%- set pattern = env_var('EXPOSURE_DIR', 'data/exposures') ~ '/exposures-*.jsonl' -%}
    {%- set found = run_query("select count(*) from glob(" ~ quote_literal(pattern) ~ ")").rows[0][0] -%}
    {%- if found > 0 -%}
        {%- set body -%}
            select
                file_name,
                line_number,
                rtrim(line, chr(13)) as line
            from (
                select
                    parse_filename(filename) as file_name,
                    unnest(string_split(content, chr(10))) as line,
                    unnest(generate_series(1, len(string_split(content, chr(10))))) as line_number
                from read_text({{ quote_literal(pattern) }})
            )
            where trim(line) != ''
        {%- endset -%}
    {%- else -%}
        {%- set body -%}
            select
                cast(null as varchar) as file_name,
                cast(null as bigint) as line_number,
                cast(null as varchar) as line
            where false
        {%- endset -%}
    {%- endif -%}
    {% do run_query('create or replace view raw_files.api_exposures as ' ~ body) %}
    {{ return('') }}
{% endmacro %}
