{% macro spreadsheet_safe(expression) %}
    {#- A text value a spreadsheet will not execute when the file is opened
        (OWASP CSV injection): a value starting with =, +, -, @, tab or carriage
        return gets a leading single quote. A value that is a plain number
        ('-12.5', '+3', '1e5') is left as it is, and so is null. Apply it to text
        columns only: numbers, dates and booleans are never touched. -#}
    {%- set text = 'cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')' -%}
    {%- set formula_start %}^[=+\-@\t\r]{% endset -%}
    {%- set plain_number %}[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?{% endset %}
    case
        when {{ regexp_contains(text, regex_literal(formula_start)) }}
            and not {{ regexp_full_match(text, regex_literal(plain_number)) }}
            then '''' || {{ text }}
        else {{ text }}
    end
{% endmacro %}
