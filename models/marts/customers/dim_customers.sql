-- The people of int_customers_unified, published with an enforced contract.
with

customers as (
    select * from {{ ref('int_customers_unified') }}
)

select
    customer_id,
    contact_id,
    email,
    first_name,
    last_name,
    country_code,
    time_zone,
    subscription_status,
    subscription_updated_at,
    customer_type,
    is_known,
    first_seen_at,
    signed_up_at,
    contact_id_count,
    email_count,
    anonymous_id_count
from customers
