{% macro format_price(amount, currency) %}
    {#- A price as shoppers read it: symbol and two decimals ("£12.50"), or the
        ISO code for currencies without a common symbol ("SEK 99.00"); null
        stays null. -#}
    case
        when {{ amount }} is null then null
        when {{ currency }} = 'GBP' then '£' || printf('%.2f', {{ amount }})
        when {{ currency }} = 'EUR' then '€' || printf('%.2f', {{ amount }})
        when {{ currency }} = 'USD' then '$' || printf('%.2f', {{ amount }})
        else {{ currency }} || ' ' || printf('%.2f', {{ amount }})
    end
{% endmacro %}
