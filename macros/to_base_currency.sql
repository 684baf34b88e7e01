{% macro to_base_currency(amount, rate_alias) %}
    {#- Converts an amount from the currency of the joined exchange_rates row
        (rate_alias) to var('base_currency'). -#}
    ({{ amount }}) / {{ rate_alias }}.units_per_usd * (
        select base_rate.units_per_usd
        from {{ ref('exchange_rates') }} as base_rate
        where base_rate.currency_code = {{ base_currency_literal() }}
    )
{% endmacro %}
