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

{#- Its opposite, `family as {{ materialized() }} (`: DuckDB computes the CTE
    whole, once, before the query reads it. customer_features_at joins four
    feature families, each one row per customer and cut-off: inlined, DuckDB
    runs them all at once inside the final join, and their hash tables together
    failed to pin a block at a 1.5 or 2 GB memory limit (int_training_snapshots
    at 1,000,000 contacts, alone on the warehouse) while they fit at 500 MB or
    1 GB; computed one after the other they pass at every limit from 500 MB to
    3 GB (issue 15). Spark plans CTEs itself: nothing to write. -#}
{% macro materialized() -%}
    {{ return(adapter.dispatch('materialized', 'email_personalization')()) }}
{%- endmacro %}

{% macro default__materialized() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized() -%}
{%- endmacro %}
