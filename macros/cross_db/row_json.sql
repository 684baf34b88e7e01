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
    {%- if columns | length == 0 -%}
        to_json(struct({{ alias }}.*), map('ignoreNullFields', 'false'))
    {%- else -%}
        concat('{', concat_ws(','
        {%- for column in columns %}
            {%- set value = alias ~ '.`' ~ column.name ~ '`' -%}
            {%- set type = column.data_type | lower -%}
            {%- if type in ('double', 'float', 'real') -%}
                {%- set text -%}
                    case
                        when isnan({{ value }}) then 'NaN'
                        when {{ value }} = double('infinity') then 'Infinity'
                        when {{ value }} = double('-infinity') then '-Infinity'
                        when {{ value }} = floor({{ value }}) and abs({{ value }}) < 1e15
                            then cast(cast({{ value }} as bigint) as string) || '.0'
                        else cast({{ value }} as string)
                    end
                {%- endset -%}
            {%- elif type in ('bigint', 'int', 'integer', 'smallint', 'tinyint', 'boolean') or type.startswith('decimal') -%}
                {%- set text = 'cast(' ~ value ~ ' as string)' -%}
            {%- elif type.startswith('timestamp') or type == 'date' -%}
                {%- set text = "substr(to_json(array(cast(" ~ value ~ " as string))), 2, length(to_json(array(cast(" ~ value ~ " as string)))) - 2)" -%}
            {%- else -%}
                {%- set text = "substr(to_json(array(" ~ value ~ ")), 2, length(to_json(array(" ~ value ~ "))) - 2)" -%}
            {%- endif %},
            '"{{ column.name }}":' || coalesce({{ text }}, 'null')
        {%- endfor %}
        ), '}')
    {%- endif -%}
{%- endmacro %}
