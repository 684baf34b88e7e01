{#- Lists (DuckDB) / arrays (Spark): membership, length and an ordered
    aggregate, with DuckDB's null handling on every engine. -#}

{#- true when the list holds value (null for a null list) -#}
{% macro list_has(list, value) -%}
    {{ return(adapter.dispatch('list_has', 'email_personalization')(list, value)) }}
{%- endmacro %}

{% macro default__list_has(list, value) -%}
    list_contains({{ list }}, {{ value }})
{%- endmacro %}

{% macro spark__list_has(list, value) -%}
    array_contains({{ list }}, {{ value }})
{%- endmacro %}

{#- the number of elements (null for a null list; Spark's size() gives -1) -#}
{% macro list_size(list) -%}
    {{ return(adapter.dispatch('list_size', 'email_personalization')(list)) }}
{%- endmacro %}

{% macro default__list_size(list) -%}
    len({{ list }})
{%- endmacro %}

{% macro spark__list_size(list) -%}
    array_size({{ list }})
{%- endmacro %}

{#- aggregate: the values of a group as a list ordered by order_by (one
    ascending expression, not null; ties in the value's order) -#}
{% macro ordered_list(value, order_by) -%}
    {{ return(adapter.dispatch('ordered_list', 'email_personalization')(value, order_by)) }}
{%- endmacro %}

{% macro default__ordered_list(value, order_by) -%}
    list({{ value }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_list(value, order_by) -%}
    transform(
        array_sort(collect_list(named_struct('sort_key', {{ order_by }}, 'list_value', {{ value }}))),
        entry -> entry.list_value
    )
{%- endmacro %}
