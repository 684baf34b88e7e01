{% macro format_price(amount, currency) %}
    {#- A price as shoppers read it: symbol and two decimals ("£12.50"), or the
        ISO code for currencies without a common symbol ("SEK 99.00"); null
        stays null. -#}
    {%- set digits = adapter.dispatch('format_price_digits', 'email_personalization')(amount) | trim %}
    case
        when {{ amount }} is null then null
        when {{ currency }} = 'GBP' then '£' || {{ digits }}
        when {{ currency }} = 'EUR' then '€' || {{ digits }}
        when {{ currency }} = 'USD' then '$' || {{ digits }}
        else {{ currency }} || ' ' || {{ digits }}
    end
{% endmacro %}

{#- the amount with two decimals (rounded half up), no thousands separator -#}
{% macro default__format_price_digits(amount) -%}
    {{ format_fixed(amount, 2) }}
{%- endmacro %}

{#- Spark: format_fixed's format_string('%.2f') fails on a decimal
    (IllegalFormatConversionException); a decimal(38, 2)'s text is the same -#}
{% macro spark__format_price_digits(amount) -%}
    cast(cast({{ amount }} as decimal(38, 2)) as {{ dbt.type_string() }})
{%- endmacro %}
