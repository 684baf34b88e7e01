{{ config(materialized='table') }}

{#-
    One row per campaign and customer it reached (the key: campaign_id,
    customer_id): what the ESP recorded for that person and campaign. Machine
    opens (int_email_events_attributed: within var machine_open_max_seconds of
    delivery) are not human opens.
-#}

with

email_events as (
    select * from {{ ref('int_email_events_attributed') }}
    where campaign_id is not null
),

campaigns as (
    select * from {{ ref('stg_esp__campaigns') }}
),

per_recipient as (
    select
        campaign_id,
        customer_id,
        min(occurred_at) filter (where event_type = 'sent') as first_sent_at,
        count(*) filter (where event_type = 'sent') as sends,
        count(*) filter (where event_type = 'delivered') as deliveries,
        count(*) filter (where event_type = 'open' and not is_machine_open) as human_opens,
        count(*) filter (where event_type = 'open' and is_machine_open) as machine_opens,
        count(*) filter (where event_type = 'click') as clicks,
        count(*) filter (where event_type = 'unsubscribe') as unsubscribes,
        count(*) filter (where event_type = 'spam_report') as complaints
    from email_events
    group by campaign_id, customer_id
)

select
    per_recipient.campaign_id,
    campaigns.campaign_name,
    campaigns.campaign_type,
    campaigns.sent_at as campaign_sent_at,
    per_recipient.customer_id,
    per_recipient.first_sent_at,
    per_recipient.sends,
    per_recipient.deliveries,
    per_recipient.human_opens,
    per_recipient.machine_opens,
    per_recipient.human_opens > 0 as has_human_open,
    per_recipient.clicks,
    per_recipient.clicks > 0 as has_click,
    per_recipient.unsubscribes > 0 as has_unsubscribed,
    per_recipient.complaints > 0 as has_complained
from per_recipient
left join campaigns
    on per_recipient.campaign_id = campaigns.campaign_id
