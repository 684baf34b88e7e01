{#- true when pattern matches somewhere in text (DuckDB's regexp_matches,
    Spark's rlike); pass the pattern through regex_literal when it holds a
    backslash or a quote -#}
{% macro regexp_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains', 'email_personalization')(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_contains(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_contains(text, pattern) -%}
    ({{ text }} rlike {{ pattern }})
{%- endmacro %}
