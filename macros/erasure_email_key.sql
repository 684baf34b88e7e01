{% macro erasure_email_key(expression) %}
    {#- The email as erasure requests hash it: lowercased and trimmed, whether or
        not it is a valid address, so a row rejected for its email is matched too.
        Null when blank. -#}
    nullif(lower(trim(cast({{ expression }} as {{ dbt.type_string() }}))), '')
{% endmacro %}
