{% macro spreadsheet_safe(expression) %}
    {#- A text value a spreadsheet will not execute when the file is opened
        (OWASP CSV injection): a value starting with =, +, -, @, tab or carriage
        return gets a leading single quote. A value that is a plain number
        ('-12.5', '+3', '1e5') is left as it is, and so is null. Apply it to text
        columns only: numbers, dates and booleans are never touched. -#}
    case
        when regexp_matches(cast({{ expression }} as varchar), '^[=+\-@\t\r]')
            and not regexp_full_match(
                cast({{ expression }} as varchar), '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?'
            )
            then '''' || cast({{ expression }} as varchar)
        else cast({{ expression }} as varchar)
    end
{% endmacro %}
