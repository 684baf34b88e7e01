-- var base_currency must be in seeds/exchange_rates.csv, or no money converts.
select '{{ var("base_currency") }}' as base_currency
where not exists (
    select 1
    from {{ ref('exchange_rates') }}
    where currency_code = '{{ var("base_currency") }}'
)
