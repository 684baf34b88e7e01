{#- The distinct non-null values of a text expression, sorted ascending and
    joined with separator (a quoted literal): null when there is none. -#}
{% macro string_agg_distinct(expression, separator) -%}
    {{ return(adapter.dispatch('string_agg_distinct', 'email_personalization')(expression, separator)) }}
{%- endmacro %}

{% macro default__string_agg_distinct(expression, separator) -%}
    string_agg(
        distinct {{ expression }}, {{ separator }}
        order by {{ expression }}
    )
{%- endmacro %}

{% macro spark__string_agg_distinct(expression, separator) -%}
    listagg(distinct {{ expression }}, {{ separator }}) within group (order by {{ expression }})
{%- endmacro %}
