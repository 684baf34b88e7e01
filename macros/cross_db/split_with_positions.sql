{#- Select-list columns that turn one row into one row per part of `text`
    split at `delimiter` (a one-character literal, e.g. '|'), with the part
    (value_name) and its 1-based position (position_name); empty parts are
    kept, a null text gives no row:
    select id, {{ split_with_positions('variant_list', '|', 'entry', 'position') }} from t -#}
{% macro split_with_positions(text, delimiter, value_name, position_name) -%}
    {{ return(adapter.dispatch('split_with_positions', 'email_personalization')(
        text, delimiter, value_name, position_name
    )) }}
{%- endmacro %}

{% macro default__split_with_positions(text, delimiter, value_name, position_name) -%}
    unnest(string_split({{ text }}, '{{ delimiter }}')) as {{ value_name }},
        unnest(range(1, len(string_split({{ text }}, '{{ delimiter }}')) + 1)) as {{ position_name }}
{%- endmacro %}

{#- Spark's split takes a regular expression: the delimiter goes in a class -#}
{% macro spark__split_with_positions(text, delimiter, value_name, position_name) -%}
    inline(
            transform(
                split({{ text }}, '[{{ delimiter }}]', -1),
                (part, position) -> named_struct(
                    '{{ value_name }}', part, '{{ position_name }}', cast(position + 1 as bigint)
                )
            )
        )
{%- endmacro %}
