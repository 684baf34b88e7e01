{% macro clean_text(expression) %}
    {#- Trimmed text with empty strings as null. -#}
    nullif(trim(cast({{ expression }} as varchar)), '')
{% endmacro %}
