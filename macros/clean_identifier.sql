{% macro clean_identifier(expression) %}
    {#- Like clean_text, but a placeholder from the identifier_placeholders seed
        ('null', 'undefined', '0', ...; trimmed, case-insensitive) is null too:
        a placeholder is never an identifier. -#}
    case
        when not {{ is_placeholder_identifier(expression) }}
            then {{ clean_text(expression) }}
    end
{% endmacro %}
