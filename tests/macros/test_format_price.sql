-- format_price: symbols for common currencies, the code otherwise, two decimals.
with cases (amount, currency, expected) as (
    values
    (12.5, 'GBP', '£12.50'),
    (3, 'EUR', '€3.00'),
    (1234.567, 'USD', '$1234.57'),
    (99, 'SEK', 'SEK 99.00'),
    (null, 'GBP', null)
)

select *
from cases
where {{ format_price('amount', 'currency') }} is distinct from expected
