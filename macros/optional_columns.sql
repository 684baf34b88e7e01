{% macro optional_columns(relation, columns, data_type=none) %}
    {#- A select list of `columns` from `relation`, each cast to data_type, with
        null in place of any column the relation lacks, so a user's seed may
        leave optional columns out altogether. When the relation cannot be
        inspected (unit tests, linting) every column is assumed present. data_type defaults to the
        engine's text type. -#}
    {%- set data_type = data_type or dbt.type_string() -%}
    {%- set present = [] -%}
    {%- if execute -%}
        {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- endif -%}
    {%- if present | length == 0 -%}
        {%- set present = columns -%}
    {%- endif -%}
    {%- for column in columns %}
        {% if column in present -%}
            cast({{ column }} as {{ data_type }})
        {%- else -%}
            cast(null as {{ data_type }})
        {%- endif %} as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
