-- to_base_currency: an amount in the row currency, converted through USD rates.
with amounts (amount, currency_code) as (
    values
    (100.0, '{{ var("base_currency") }}'),
    (100.0, 'USD'),
    (100.0, 'EUR')
),

converted as (
    select
        amounts.amount,
        amounts.currency_code,
        {{ to_base_currency('amounts.amount', 'rates') }} as amount_base,
        amounts.amount / rates.units_per_usd * base.units_per_usd as expected
    from amounts
    inner join {{ ref('exchange_rates') }} as rates
        on amounts.currency_code = rates.currency_code
    cross join (
        select units_per_usd
        from {{ ref('exchange_rates') }}
        where currency_code = '{{ var("base_currency") }}'
    ) as base
)

select *
from converted
where abs(amount_base - expected) > 1e-9
    or (currency_code = '{{ var("base_currency") }}' and abs(amount_base - amount) > 1e-9)
