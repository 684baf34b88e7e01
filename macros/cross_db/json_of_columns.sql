{#- The row of alias as DuckDB's to_json(alias) writes it, when alias is a CTE
    or subquery whose columns are known but cannot be inspected (row_json needs
    a relation): columns is a list of (name, data_type) pairs in column order,
    e.g. from a model's contract. DuckDB: to_json(alias). Spark writes the same
    text column by column, as row_json does: text, timestamps and dates as
    JSON strings of their text, integers, decimals and booleans as is, doubles
    as DuckDB writes them in the usual range. Without columns, Spark's to_json
    of the row (timestamps and doubles may be written otherwise). -#}
{% macro json_of_columns(alias, columns) -%}
    {{ return(adapter.dispatch('json_of_columns', 'email_personalization')(alias, columns)) }}
{%- endmacro %}

{% macro default__json_of_columns(alias, columns) -%}
    to_json({{ alias }})
{%- endmacro %}

{% macro spark__json_of_columns(alias, columns) -%}
    {%- if columns | length == 0 -%}
        to_json(struct({{ alias }}.*), map('ignoreNullFields', 'false'))
    {%- else -%}
        concat('{', concat_ws(','
        {%- for name, data_type in columns %}
            {%- set value = alias ~ '.`' ~ name ~ '`' -%}
            {%- set type = (data_type or 'string') | lower | replace(' ', '') -%}
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
            '"{{ name }}":' || coalesce({{ text }}, 'null')
        {%- endfor %}
        ), '}')
    {%- endif -%}
{%- endmacro %}
