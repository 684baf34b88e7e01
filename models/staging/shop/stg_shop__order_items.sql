with

order_items as (
    select * from {{ ref('base_shop__order_items') }}
)

select
    order_item_id,
    order_id,
    product_id,
    quantity,
    quantity < 0 as is_return,
    unit_price,
    currency as unit_price_currency,
    line_amount,
    {{ base_currency_literal() }} as currency
from order_items
where rejection_reason is null and not is_duplicate
