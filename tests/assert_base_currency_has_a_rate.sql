-- var base_currency must be in seeds/exchange_rates.csv, or no money converts.
with

base_rate as (
    select count(*) as matching_rates
    from {{ ref('exchange_rates') }}
    where currency_code = '{{ var("base_currency") }}'
)

select
    '{{ var("base_currency") }}' as base_currency,
    matching_rates
from base_rate
where matching_rates != 1
