{% macro number_var(name) %}
    {#- The var `name` as a SQL number literal. A var that is not a number (a
        string, a list, "10; drop table x") stops compilation with a message
        naming the var and the value, instead of being pasted into SQL. -#}
    {%- set value = var(name) -%}
    {%- if value is number and value is not boolean -%}
        {{ return(value | string) }}
    {%- endif -%}
    {%- if value is string and modules.re.fullmatch('[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?', value.strip()) -%}
        {{ return(value.strip()) }}
    {%- endif -%}
    {{ exceptions.raise_compiler_error(
        "var " ~ name ~ " must be a number (got " ~ (value | string)[:80] ~ "); set it in dbt_project.yml or --vars"
    ) }}
{% endmacro %}
