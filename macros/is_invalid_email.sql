{% macro is_invalid_email(expression) %}
    {#- True when an email is given (not null or blank) but clean_email cannot
        read it as an address, so the base model sets it aside: it rejects the
        row as invalid_email when the email was its only identifier, and
        otherwise keeps the row by its other identifiers and counts it
        (audit_row_counts.invalid_email_rows). Never silently nulled. -#}
    coalesce({{ clean_text(expression) }} is not null and {{ clean_email(expression) }} is null, false)
{% endmacro %}
