{%- set source_columns = ['event_id', 'email', 'campaign_id', 'event_type', 'occurred_at', 'url', 'url_product_id'] %}
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='attribution_slice',
    post_hook="{{ attribution_slice_save(ref('stg_esp__email_events'), 'cast(occurred_at as date)', "
        ~ source_columns ~ ", ['email']) }}",
) }}
{#-
    One row per accepted email event that belongs to a customer (by its
    email), with its campaign's type and whether it is a machine open.

    Incremental on DuckDB (macros/attribution_slice.sql): a run attributes
    again only the events of the days whose events changed, the events of an
    email whose customer changed, of a campaign whose type changed, and of an
    email and campaign with a delivery on a changed day (its opens may be
    machine opens now); the table equals what a full build makes.
-#}
{%- set plan = attribution_slice_plan(ref('stg_esp__email_events'), 'cast(occurred_at as date)', source_columns) %}
{{ attribution_slice_marker(plan) }}

with

-- read where it is used rather than copied (not_materialized): an incremental run reads it three times
all_email_events as {{ not_materialized() }} (
    select * from {{ ref('stg_esp__email_events') }}
),

campaigns as (
    select * from {{ ref('stg_esp__campaigns') }}
),

{%- if plan.days is not none %}

changed_identifiers as (
    {{ attribution_changed_identifiers(['email']) | indent(4) }}
),

-- campaigns whose type is not what the table holds for them
changed_campaigns as (
    select
        campaign_id,
        campaign_type
    from {{ this }}
    where campaign_id is not null
    except
    select
        campaign_id,
        campaign_type
    from campaigns
),

-- deliveries on a changed day, new or gone: the opens of their email and campaign are judged again
changed_deliveries as (
    select
        email,
        campaign_id
    from all_email_events
    where event_type = 'delivered' and {{ attribution_days_in('cast(occurred_at as date)', plan) }}
    union
    select
        email,
        campaign_id
    from {{ this }}
    where event_type = 'delivered' and {{ attribution_days_in('cast(occurred_at as date)', plan) }}
),

email_events as (
    select * from all_email_events
    where {{ attribution_days_in('cast(occurred_at as date)', plan) }}
        or email in (select changed_identifiers.identifier_value from changed_identifiers)
        or campaign_id in (select changed_campaigns.campaign_id from changed_campaigns)
        or exists (
            select 1 from changed_deliveries
            where
                changed_deliveries.email = all_email_events.email
                and changed_deliveries.campaign_id = all_email_events.campaign_id
        )
),

deliveries as (
    select
        email,
        campaign_id,
        min(occurred_at) as delivered_at
    from all_email_events
    where
        event_type = 'delivered'
        and exists (
            select 1 from email_events
            where
                email_events.email = all_email_events.email
                and email_events.campaign_id = all_email_events.campaign_id
        )
    group by email, campaign_id
),
{%- else %}

email_events as (
    select * from all_email_events
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
{%- endif %}

attributed as (
    {{ attribute_to_customers('email_events', email='email', keep_unattributed=plan.days is not none) | indent(4) }}
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
