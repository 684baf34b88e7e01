with

subscriptions as (
    select * from {{ ref('base_esp__subscriptions') }}
)

select
    email,
    status as subscription_status,
    updated_at as subscription_updated_at
from subscriptions
where rejection_reason is null and not is_duplicate
