{{ config(materialized='table') }}

with

email_events as (
    select * from {{ ref('stg_esp__email_events') }}
),

campaigns as (
    select * from {{ ref('stg_esp__campaigns') }}
),

deliveries as (
    select
        email,
        campaign_id,
        min(occurred_at) as delivered_at
    from email_events
    where event_type = 'delivered'
    group by email, campaign_id
),

attributed as (
    {{ attribute_to_customers('email_events', email='email') }}
)

select
    attributed.event_id,
    attributed.customer_id,
    attributed.email,
    attributed.campaign_id,
    campaigns.campaign_type,
    attributed.event_type,
    attributed.occurred_at,
    attributed.url,
    attributed.url_product_id,
    -- opens within seconds of delivery are privacy proxies or scanners, not people
    coalesce(
        attributed.event_type = 'open'
        and {{ dbt.datediff('deliveries.delivered_at', 'attributed.occurred_at', 'second') }}
        <= {{ number_var('machine_open_max_seconds') }},
        false
    ) as is_machine_open
from attributed
left join deliveries
    on attributed.email = deliveries.email
    and attributed.campaign_id = deliveries.campaign_id
left join campaigns
    on attributed.campaign_id = campaigns.campaign_id
