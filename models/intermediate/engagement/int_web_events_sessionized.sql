{{ config(materialized='table') }}

with

web_events as (
    select * from {{ ref('stg_web__events') }}
),

products as (
    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}
),

attributed as (
    {{ attribute_to_customers('web_events', contact_id='contact_id', email='email', anonymous_id='anonymous_id') }}
),

-- a session is a device's run of events with no gap over the timeout
devices as (
    select
        *,
        coalesce(anonymous_id, customer_id) as device_key
    from attributed
),

gaps as (
    select
        *,
        lag(occurred_at) over (partition by device_key order by occurred_at, event_id) as previous_event_at
    from devices
),

starts as (
    select
        *,
        case
            when previous_event_at > occurred_at - interval '{{ number_var('session_timeout_minutes') }} minutes' then 0
            else 1
        end as is_session_start
    from gaps
),

numbered as (
    select
        *,
        sum(is_session_start) over (
            partition by device_key order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from starts
)

select
    numbered.event_id,
    numbered.customer_id,
    numbered.anonymous_id,
    numbered.event_type,
    numbered.product_id,
    products.category,
    numbered.occurred_at,
    md5(numbered.device_key || '|' || numbered.session_number) as session_id,
    numbered.is_session_start = 1 as is_session_start
from numbered
left join products
    on numbered.product_id = products.product_id
