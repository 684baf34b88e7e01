{% macro clean_email(expression) %}
    {#- Lowercased, trimmed email, or null when it is not a plausible address. -#}
    case
        when regexp_full_match(
                lower(trim(cast({{ expression }} as varchar))),
                '[a-z0-9._%+''-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}'
            )
            and lower(trim(cast({{ expression }} as varchar))) not like '%..%'
            then lower(trim(cast({{ expression }} as varchar)))
    end
{% endmacro %}
