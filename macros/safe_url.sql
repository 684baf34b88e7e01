{% macro safe_url(expression) %}
    {#- The URL, trimmed, when it is an absolute http or https URL with a host
        and no whitespace, quotes, angle brackets or backslashes; null otherwise
        (javascript:, data:, vbscript:, relative paths, protocol-relative //x).
        Only what it returns may reach a link or image field of an email or an
        ESP profile. -#}
    {%- set pattern -%}
        (?i)https?://[^\s/?#"'<>\\`]+([/?#][^\s"'<>\\`]*)?
    {%- endset %}
    case
        when {{ regexp_full_match(
                'trim(cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ '))',
                regex_literal(pattern)
            ) }}
            then trim(cast({{ expression }} as {{ dbt.type_string() }}))
    end
{% endmacro %}
