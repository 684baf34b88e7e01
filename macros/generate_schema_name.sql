{% macro generate_schema_name(custom_schema_name, node) %}
    {#- Folder schemas keep their plain names (staging, intermediate, audit,
        seeds); everything else lands in the target schema. -#}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{% endmacro %}
