{#-
    Trigger firings as Klaviyo events (Create Event: a metric name, a profile,
    time, unique_id, properties): the firings of sync_braze__events, for the
    profile of the person's primary email and persistent external_id.
    unique_id is the event_id, so Klaviyo drops a firing sent twice; the metric
    is ep_<trigger_type>, which a flow can start on.
-#}

with

events as (
    select * from {{ ref('sync_braze__events') }}
),

external_ids as (
    select
        customer_id,
        external_id
    from {{ ref('dim_customer_external_ids') }}
    where is_active
),

emails as (
    select
        customer_id,
        email
    from {{ ref('fct_contactability') }}
    where is_primary_email and is_contactable
)

select
    events.event_id as unique_id,
    events.event_name as metric_name,
    emails.email as profile_email,
    events.external_id as profile_external_id,
    events.event_time,
    events.triggered_at,
    events.properties
from events
inner join external_ids
    on events.external_id = external_ids.external_id
inner join emails
    on external_ids.customer_id = emails.customer_id
