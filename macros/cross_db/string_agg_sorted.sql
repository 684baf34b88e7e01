{#- Aggregate: the non-null values of a text expression, sorted ascending and
    joined with separator (a quoted literal); null when there is none.
    Spark's listagg(...) within group fails at run time when several of them
    (with distinct) share one aggregation, so Spark sorts a collected list. -#}
{% macro string_agg_sorted(expression, separator) -%}
    {{ return(adapter.dispatch('string_agg_sorted', 'email_personalization')(expression, separator)) }}
{%- endmacro %}

{% macro default__string_agg_sorted(expression, separator) -%}
    string_agg({{ expression }}, {{ separator }} order by {{ expression }})
{%- endmacro %}

{% macro spark__string_agg_sorted(expression, separator) -%}
    case
        when count({{ expression }}) > 0
            then array_join(array_sort(collect_list({{ expression }})), {{ separator }})
    end
{%- endmacro %}
