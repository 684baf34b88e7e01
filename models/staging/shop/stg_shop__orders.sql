with

orders as (
    select * from {{ ref('base_shop__orders') }}
)

select
    order_id,
    contact_id,
    email,
    ordered_at,
    status,
    status = 'completed' as is_completed,
    currency
from orders
where rejection_reason is null and not is_duplicate
