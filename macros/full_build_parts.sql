{% macro full_build_part() -%}
    {#- A model's filter for config full_build_parts ({'by': expression, 'parts': n}):
        a predicate that is true as written (every engine, every incremental run),
        which a full build on DuckDB replaces, statement by statement, with
        hash(by) % n = 0, 1, ... (duckdb__create_table_as below). Put it where every
        row passes before the model's windows, so each part holds whole partitions
        of them (by: their partition key). -#}
    /* full_build_part */ (1 = 1)
{%- endmacro %}

{% macro duckdb__create_table_as(
    temporary, relation, compiled_code, language='sql', partitioned_by=none, sorted_by=none
) -%}
    {#- dbt-duckdb's create_table_as, but a SQL model with config full_build_parts
        ({'by': expression, 'parts': n}) and a full_build_part() filter is built
        in n statements in one transaction: a create of the rows whose hash(by) % n
        is 0, then an insert for each other part. A window over tens of millions of
        rows spills at DuckDB's memory limit (2 GB by default); a part of them fits,
        and the parts make the same rows, since each holds whole partitions.
        int_web_event_sessions alone at 1,000,000 contacts (40 M events, each run
        into a new database file): 43.6 s in four parts against 53.1 s in one
        statement, the same rows. Incremental runs (temporary tables, a few days of
        rows) and models without the config go to dbt-duckdb's macro. -#}
    {%- set plan = config.get('full_build_parts') -%}
    {%- set marker = '/* full_build_part */ (1 = 1)' -%}
    {%- set contract = config.get('contract') -%}
    {%- if plan and language == 'sql' and not temporary and marker in compiled_code
        and not (contract and contract.enforced) and not partitioned_by and not sorted_by -%}
        {%- set parts = plan['parts'] | int -%}
        {%- if parts < 1 -%}
            {{ exceptions.raise_compiler_error('config full_build_parts: parts must be 1 or more, got ' ~ parts) }}
        {%- endif -%}
        {%- for part in range(parts) -%}
            {%- set sql = compiled_code | replace(marker, 'hash(' ~ plan['by'] ~ ') % ' ~ parts ~ ' = ' ~ part) %}
            {%- if loop.first %}
    create table {{ relation }} as (
        {{ sql }}
    );
            {%- else %}
    insert into {{ relation }} (
        {{ sql }}
    );
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        {{ return(dbt.duckdb__create_table_as(
            temporary, relation, compiled_code, language, partitioned_by, sorted_by
        )) }}
    {%- endif -%}
{%- endmacro %}
