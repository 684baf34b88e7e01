{% macro clean_email(expression) %}
    {#- Lowercased, trimmed email, or null when it is not a plausible address.
        Internationalised addresses (RFC 6531: letters and digits of any script,
        e.g. zoë@exämple.de) and punycode domains (xn--...) are addresses too:
        lower() lowercases every script. -#}
    {%- set pattern -%}
        [\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(\.[\p{L}\p{N}-]+)*\.(\p{L}{2,}|xn--[a-z0-9-]+)
    {%- endset %}
    case
        when {{ regexp_full_match(
                'lower(trim(cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')))',
                regex_literal(pattern)
            ) }}
            and lower(trim(cast({{ expression }} as {{ dbt.type_string() }}))) not like '%..%'
            then lower(trim(cast({{ expression }} as {{ dbt.type_string() }})))
    end
{% endmacro %}
