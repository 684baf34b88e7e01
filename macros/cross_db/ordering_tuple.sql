{#- A value that orders like the list of expressions, column by column, with
    nulls after every value (DuckDB's order of row values), for arg_min /
    min_by and arg_max / max_by with several tie-breakers:
    min_by(x, {{ ordering_tuple(['seen_at', 'email']) }}). DuckDB writes a row
    value; Spark a struct whose fields put an is-null flag before each value,
    since Spark's struct order puts nulls first. -#}
{% macro ordering_tuple(expressions) -%}
    {{ return(adapter.dispatch('ordering_tuple', 'email_personalization')(expressions)) }}
{%- endmacro %}

{% macro default__ordering_tuple(expressions) -%}
    ({{ expressions | join(', ') }})
{%- endmacro %}

{% macro spark__ordering_tuple(expressions) -%}
    struct(
    {%- for expression in expressions -%}
        {{ expression }} is null, {{ expression }}{{ ', ' if not loop.last }}
    {%- endfor -%}
    )
{%- endmacro %}
