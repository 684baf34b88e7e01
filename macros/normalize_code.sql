{% macro normalize_code(expression) %}
    {#- A status or event type as a lowercase trimmed code; empty is null. -#}
    nullif(lower(trim(cast({{ expression }} as {{ dbt.type_string() }}))), '')
{% endmacro %}
