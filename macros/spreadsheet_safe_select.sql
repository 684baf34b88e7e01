{% macro spreadsheet_safe_select(relation) %}
    {#- select of every column of relation, in order, with each text column
        through spreadsheet_safe and every other type (numbers, dates, booleans)
        as it is: what a CSV export file should be written from. -#}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    select
    {%- for column in columns %}
        {%- set name = adapter.quote(column.name) %}
        {%- if column.is_string() %}
        {{ spreadsheet_safe(name) }} as {{ name }}{{ ',' if not loop.last }}
        {%- else %}
        {{ name }}{{ ',' if not loop.last }}
        {%- endif %}
    {%- endfor %}
    {%- if not columns %}
        *
    {%- endif %}
    from {{ relation }}
{% endmacro %}
