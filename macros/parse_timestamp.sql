{% macro parse_timestamp(expression) %}
    {#- ISO-8601 text or a native timestamp, with or without an offset, to a UTC
        timestamp without time zone; values without an offset are UTC. Null when
        it cannot be parsed. -#}
    timezone('UTC', try_cast(cast({{ expression }} as varchar) as timestamptz))
{% endmacro %}
