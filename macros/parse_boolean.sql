{% macro parse_boolean(expression) %}
    {#- true/false, t/f, yes/no, y/n, 1/0 (any case) to a boolean; else null. -#}
    case
        when lower(trim(cast({{ expression }} as {{ dbt.type_string() }}))) in ('true', 't', 'yes', 'y', '1') then true
        when lower(trim(cast({{ expression }} as {{ dbt.type_string() }}))) in ('false', 'f', 'no', 'n', '0') then false
    end
{% endmacro %}
