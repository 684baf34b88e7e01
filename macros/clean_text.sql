{% macro clean_text(expression) %}
    {#- Trimmed text with empty strings as null. -#}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
{% endmacro %}
