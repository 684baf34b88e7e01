{#-
    One row per campaign, recipient RFM segment, lifecycle stage, global
    holdout variant and attribution model. Send measures repeat on each
    attribution model's row: filter on one attribution_model before summing.
-#}

with

recipients as (
    select * from {{ ref('int_campaign_recipients_measured') }}
),

attributions as (
    select * from {{ ref('int_order_attributions') }}
    where campaign_id is not null
),

segments as (
    select * from {{ ref('fct_customer_segments') }}
),

holdout_assignments as (
    select
        customer_id,
        variant
    from {{ ref('fct_experiment_assignments') }}
    where experiment_id = {{ quote_literal(var('global_holdout_experiment_id')) }}
),

attribution_models as (
    select models.attribution_model
    from (values ('last_click'), ('last_touch'), ('position_based')) as models (attribution_model)
),

attributed_per_recipient as (
    select
        campaign_id,
        customer_id,
        attribution_model,
        sum(credit) as attributed_conversions,
        -- an exact decimal sum: a sum of doubles depends on the order rows
        -- arrive in, which flips half-cent totals when rounded to the cent
        sum(cast(attributed_revenue as decimal(38, 9))) as attributed_revenue
    from attributions
    group by campaign_id, customer_id, attribution_model
),

recipients_described as (
    select
        recipients.*,
        coalesce(segments.rfm_segment, 'unsegmented') as rfm_segment,
        coalesce(segments.lifecycle_stage, 'unknown') as lifecycle_stage,
        coalesce(holdout_assignments.variant, 'unassigned') as variant
    from recipients
    left join segments
        on recipients.customer_id = segments.customer_id
    left join holdout_assignments
        on recipients.customer_id = holdout_assignments.customer_id
),

recipient_models as (
    select
        recipients_described.*,
        attribution_models.attribution_model,
        coalesce(attributed_per_recipient.attributed_conversions, 0) as attributed_conversions,
        coalesce(attributed_per_recipient.attributed_revenue, 0) as attributed_revenue
    from recipients_described
    cross join attribution_models
    left join attributed_per_recipient
        on recipients_described.campaign_id = attributed_per_recipient.campaign_id
        and recipients_described.customer_id = attributed_per_recipient.customer_id
        and attribution_models.attribution_model = attributed_per_recipient.attribution_model
),

aggregated as (
    select
        campaign_id,
        rfm_segment,
        lifecycle_stage,
        variant,
        attribution_model,
        any_value(campaign_name) as campaign_name,
        any_value(campaign_type) as campaign_type,
        any_value(campaign_sent_at) as campaign_sent_at,
        count(*) as recipients,
        sum(sends) as sends,
        sum(deliveries) as deliveries,
        sum(human_opens) as human_opens,
        count(*) filter (where has_human_open) as unique_human_opens,
        sum(machine_opens) as machine_opens,
        sum(clicks) as clicks,
        count(*) filter (where has_click) as unique_clicks,
        count(*) filter (where has_unsubscribed) as unsubscribes,
        count(*) filter (where has_complained) as complaints,
        sum(attributed_conversions) as attributed_conversions,
        sum(attributed_revenue) as attributed_revenue
    from recipient_models
    group by campaign_id, rfm_segment, lifecycle_stage, variant, attribution_model
)

select
    md5(
        concat_ws('|', campaign_id, rfm_segment, lifecycle_stage, variant, attribution_model)
    ) as campaign_performance_id,
    campaign_id,
    campaign_name,
    campaign_type,
    campaign_sent_at,
    rfm_segment,
    lifecycle_stage,
    variant,
    attribution_model,
    cast(recipients as bigint) as recipients,
    cast(sends as bigint) as sends,
    cast(deliveries as bigint) as deliveries,
    cast(human_opens as bigint) as human_opens,
    cast(unique_human_opens as bigint) as unique_human_opens,
    cast(machine_opens as bigint) as machine_opens,
    cast(clicks as bigint) as clicks,
    cast(unique_clicks as bigint) as unique_clicks,
    cast(unsubscribes as bigint) as unsubscribes,
    cast(complaints as bigint) as complaints,
    cast(attributed_conversions as double) as attributed_conversions,
    cast(round(attributed_revenue, 2) as decimal(18, 2)) as attributed_revenue,
    cast(attributed_revenue / nullif(sends, 0) as double) as revenue_per_send,
    {{ base_currency_literal() }} as currency
from aggregated
