{% macro normalize_currency(expression) %}
    {#- ISO 4217 code in upper case; a missing currency is the base currency. -#}
    coalesce(nullif(upper(trim(cast({{ expression }} as {{ dbt.type_string() }}))), ''), {{ quote_literal(var("base_currency")) }})
{% endmacro %}
