{% macro quote_literal(value) %}
    {#- A SQL string literal of value: single quotes doubled, so a path such as
        /data/o'brien or a var cannot end the string early. Use it for every
        path or value a macro puts into SQL. -#}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}
