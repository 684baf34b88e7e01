{% macro is_placeholder_identifier(expression) %}
    {#- True when the value is given (not null or blank) but is a placeholder
        listed in the identifier_placeholders seed or the text 'null' (which
        no seed can hold on adapters that load seeds through agate: it reads
        as a null there), compared trimmed and lowercased; false otherwise. -#}
    coalesce(
        lower({{ clean_text(expression) }}) in (
            select identifier_placeholders.placeholder
            from {{ ref('identifier_placeholders') }} as identifier_placeholders
            union all
            select 'null'
        ),
        false
    )
{% endmacro %}
