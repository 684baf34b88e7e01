{#- A regular expression as an SQL string literal that reaches the engine's
    regex engine unchanged. Pass the pattern as written for the regex, e.g.
    from a set block: {% set pattern %}[\p{L}.]+{% endset %}
    {{ regexp_full_match('x', regex_literal(pattern)) }}.
    DuckDB keeps backslashes in '...' (quotes doubled); Spark would read them
    as escapes, so Spark gets a raw literal r'...' in which a quote is written
    \x27 (a raw literal cannot hold one). -#}
{% macro regex_literal(pattern) -%}
    {{ return(adapter.dispatch('regex_literal', 'email_personalization')(pattern)) }}
{%- endmacro %}

{% macro default__regex_literal(pattern) -%}
    {{ return("'" ~ pattern | replace("'", "''") ~ "'") }}
{%- endmacro %}

{% macro spark__regex_literal(pattern) -%}
    {{ return("r'" ~ pattern | replace("'", "\\x27") ~ "'") }}
{%- endmacro %}
