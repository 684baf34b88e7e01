{#- Written between a CTE's name and `as`'s parenthesis: `events as {{ not_materialized() }} (`.
    DuckDB keeps a copy of a CTE that is read more than once, unless told not to;
    a copy of tens of millions of events is slower to write and read back than the
    table it selects from (int_customer_features at 1,000,000 contacts: 73.5 s with
    copies, 32.1 s without, issue 15). Spark inlines CTEs: nothing to write. -#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'email_personalization')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro spark__not_materialized() -%}
{%- endmacro %}
