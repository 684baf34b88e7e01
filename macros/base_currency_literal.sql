{% macro base_currency_literal() %}
    {#- The var base_currency as a SQL string literal. It must be an uppercase
        ISO 4217 code (GBP, USD, EUR): anything else ("GB'P", "gbp; drop ...")
        stops compilation with a message naming the var, instead of reaching SQL. -#}
    {%- set value = var('base_currency') -%}
    {%- if value is not string or not modules.re.fullmatch('[A-Z]{3}', value) -%}
        {{ exceptions.raise_compiler_error(
            "var base_currency must be an uppercase ISO 4217 code such as GBP (got "
            ~ (value | string)[:20] ~ "); set it in dbt_project.yml or --vars"
        ) }}
    {%- endif -%}
    {{ return(quote_literal(value)) }}
{% endmacro %}
