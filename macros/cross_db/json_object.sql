{#- A JSON object text from (key, expression) pairs, keys in the given order,
    null values written as null: json_object([('file_name', 'file_name'), ...]).
    Timestamps are written as DuckDB's JSON does only when passed as text
    (cast(ts as string) reads the same on both engines). -#}
{% macro json_object(pairs) -%}
    {{ return(adapter.dispatch('json_object', 'email_personalization')(pairs)) }}
{%- endmacro %}

{% macro default__json_object(pairs) -%}
    to_json({
        {%- for key, expression in pairs %}
        '{{ key }}': {{ expression }}{{ ',' if not loop.last }}
        {%- endfor %}
    })
{%- endmacro %}

{% macro spark__json_object(pairs) -%}
    to_json(
        named_struct(
            {%- for key, expression in pairs %}
            '{{ key }}', {{ expression }}{{ ',' if not loop.last }}
            {%- endfor %}
        ),
        map('ignoreNullFields', 'false')
    )
{%- endmacro %}
