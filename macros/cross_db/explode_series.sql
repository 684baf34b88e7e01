{#- A select-list expression giving one row per value from start to stop
    (both included) by step, an interval such as '1 day' or '1 month':
    dates for dates on Spark, timestamps on DuckDB (cast the result).
    select {{ explode_series('first_day', 'last_day', '1 day') }} as day from bounds -#}
{% macro explode_series(start, stop, step) -%}
    {{ return(adapter.dispatch('explode_series', 'email_personalization')(start, stop, step)) }}
{%- endmacro %}

{% macro default__explode_series(start, stop, step) -%}
    unnest(generate_series({{ start }}, {{ stop }}, interval '{{ step }}'))
{%- endmacro %}

{% macro spark__explode_series(start, stop, step) -%}
    explode(sequence({{ start }}, {{ stop }}, interval '{{ step }}'))
{%- endmacro %}
