{#- The whole row of a relation as DuckDB's to_json writes it: one JSON object
    text, keys in column order, nulls kept. row_json('source', source('shop', 'orders'))
    where `source` is the alias of the relation in the query.
    DuckDB: to_json(alias). Spark builds the same text column by column (its
    to_json writes timestamps and large doubles otherwise): text, timestamps and
    dates as JSON strings of their text (the same on both engines), integers and
    booleans as is, doubles as DuckDB writes them in the usual range (an
    integral value with '.0'; exotic ones such as 1e300 may differ). When the
    relation cannot be inspected (unit tests), Spark's to_json of the row. -#}
{% macro row_json(alias, relation) -%}
    {{ return(adapter.dispatch('row_json', 'email_personalization')(alias, relation)) }}
{%- endmacro %}

{% macro default__row_json(alias, relation) -%}
    to_json({{ alias }})
{%- endmacro %}

{% macro spark__row_json(alias, relation) -%}
    {#- a unit test's fixture (a CTE) is not a relation to inspect -#}
    {%- set is_fixture = (relation | string).startswith('__dbt__cte__') -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute and not is_fixture else [] -%}
    {#- the text itself is json_of_columns' Spark form, given the inspected columns -#}
    {%- set pairs = [] -%}
    {%- for column in columns -%}
        {%- do pairs.append((column.name, column.data_type)) -%}
    {%- endfor -%}
    {{ spark__json_of_columns(alias, pairs) }}
{%- endmacro %}

{#- The whole row as a value to keep until it is needed: on DuckDB the row's
    struct itself (written as JSON, by to_json, only for the rows that keep it:
    rejected rows, and the few that share their key), so a large table is not
    written out as JSON text row by row; on Spark row_json's text. Either way
    row_text gives row_json's text. -#}
{% macro row_value(alias, relation) -%}
    {{ return(adapter.dispatch('row_value', 'email_personalization')(alias, relation)) }}
{%- endmacro %}

{% macro default__row_value(alias, relation) -%}
    {{ alias }}
{%- endmacro %}

{% macro spark__row_value(alias, relation) -%}
    {{ spark__row_json(alias, relation) }}
{%- endmacro %}

{#- row_value's value as row_json's text -#}
{% macro row_text(expression) -%}
    {{ return(adapter.dispatch('row_text', 'email_personalization')(expression)) }}
{%- endmacro %}

{% macro default__row_text(expression) -%}
    cast(to_json({{ expression }}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__row_text(expression) -%}
    {{ expression }}
{%- endmacro %}
