{% macro cte_hint(materialized) %}
    {#- DuckDB's hint for the CTE it precedes (`name as {{ cte_hint(...) }} (`):
        'materialized' computes the CTE once and holds its rows, 'not materialized'
        inlines it wherever it is read. DuckDB decides by itself otherwise, and it
        holds a CTE read more than once. Other engines get nothing (Spark cannot
        parse the hint). -#}
    {%- if target.type == 'duckdb' -%}
        {{ 'materialized' if materialized else 'not materialized' }}
    {%- endif -%}
{% endmacro %}
