{% macro quote_literal(value) %}
    {#- A SQL string literal of value: single quotes doubled, so a path such as
        /data/o'brien or a var cannot end the string early. Use it for every
        path or value a macro puts into SQL. On Spark, where a backslash in a
        literal is an escape, backslashes are doubled too. -#}
    {{ return(adapter.dispatch('quote_literal', 'email_personalization')(value)) }}
{% endmacro %}

{% macro default__quote_literal(value) %}
    {{ return("'" ~ (value | string | replace("'", "''")) ~ "'") }}
{% endmacro %}

{% macro spark__quote_literal(value) %}
    {{ return("'" ~ (value | string | replace("\\", "\\\\") | replace("'", "''")) ~ "'") }}
{% endmacro %}
