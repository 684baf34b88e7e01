{#- An md5 hex text that is equal for two rows exactly when the listed
    expressions are equal, nulls included (the same SQL and the same value on
    DuckDB and Spark for text, integers, decimals, booleans and timestamps):
    each value as text prefixed by its length, a null as '~'.
    row_fingerprint(['experiment_id', 'exposed_at']) or a comma-separated
    string of plain column names. Where DuckDB's hash() only told rows apart
    or broke ties, this does it identically on every engine. -#}
{% macro row_fingerprint(expressions) -%}
    {%- if expressions is string -%}
        {%- set expressions = expressions.split(',') | map('trim') | list -%}
    {%- endif -%}
    md5(concat(
        {%- for expression in expressions %}
        coalesce(
            cast(length(cast({{ expression }} as {{ dbt.type_string() }})) as {{ dbt.type_string() }})
            || ':' || cast({{ expression }} as {{ dbt.type_string() }}),
            '~'
        ){{ ", '|'," if not loop.last }}
        {%- endfor %}
    ))
{%- endmacro %}
