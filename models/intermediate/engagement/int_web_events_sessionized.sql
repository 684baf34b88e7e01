{{ config(materialized='table') }}
{#-
    One row per accepted web event that belongs to a customer, with its
    session (int_web_event_sessions: a device's events with no gap over the
    timeout) and the product's category. The customer is looked up here, on
    every run, so a change in identity stitching reaches every event.
-#}

with

web_events as (
    select * from {{ ref('int_web_event_sessions') }}
),

products as (
    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}
),

attributed as (
    {{ attribute_to_customers('web_events', contact_id='contact_id', email='email', anonymous_id='anonymous_id') }}
)

select
    attributed.event_id,
    attributed.customer_id,
    attributed.anonymous_id,
    attributed.event_type,
    attributed.product_id,
    products.category,
    attributed.occurred_at,
    md5(attributed.device_key || '|' || attributed.session_number) as session_id,
    attributed.is_session_start
from attributed
left join products
    on attributed.product_id = products.product_id
