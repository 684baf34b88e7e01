{% macro as_of_timestamp() %}
    {#- "Today" for every model: the var as_of_date (a date means the start of
        that day) or, unset, the time this dbt invocation started. Every model
        reads only rows strictly before it. -#}
    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of is none or as_of | string | trim == '' -%}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
    {%- else -%}
        cast({{ quote_literal(as_of) }} as timestamp)
    {%- endif -%}
{% endmacro %}
