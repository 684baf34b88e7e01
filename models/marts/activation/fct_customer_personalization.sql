{#-
    One row per contactable customer (their primary email is contactable): the
    personalised fields every export fills templates with, each with a
    fallback so no template shows a blank. Customers in the global holdout get
    the non-personalised defaults: bestsellers, the global send hour,
    "default" for segment and tier, "Bestsellers" for the category.

    Names are the data or null, never a placeholder: a greeting's fallback
    belongs in the template, and an export that synced "there" would overwrite
    a real name the ESP holds. The consent columns (subscription_status,
    subscribed_at) say what the ESP last told us, for exports that must not
    re-subscribe anyone.

    The action tier comes from fct_customer_scores (the propensity model),
    else engagement rules. Recommendations come from fct_customer_recommendations
    (the recommender), then the bestsellers of the customer's top category,
    then overall bestsellers: fct_customer_recommendation_slots chooses them, one row
    per slot, and this model takes a join per slot. The *_source columns say
    which filled each field.
-#}

{%- set n_recs = number_var('export_recommendations') | int %}

with

customers as (
    select * from {{ ref('dim_customers') }}
),

contactable as (
    select
        customer_id,
        email,
        subscription_status,
        subscription_updated_at
    from {{ ref('fct_contactability') }}
    where is_primary_email and is_contactable
),

segments as (
    select * from {{ ref('fct_customer_segments') }}
),

features as (
    select
        customer_id,
        top_category,
        last_order_at
    from {{ ref('fct_customer_features') }}
),

send_times as (
    select * from {{ ref('fct_send_times') }}
),

scores as (
    select
        customer_id,
        action_tier,
        expected_next_order_date
    from {{ ref('fct_customer_scores') }}
),

holdout as (
    select distinct customer_id
    from {{ ref('fct_experiment_assignments') }}
    where is_global_holdout
),

bestsellers as (
    select * from {{ ref('int_bestsellers') }}
),

global_send_hour as (
    select mode(best_hour_utc) as best_hour_utc
    from send_times
),

base as (
    select
        contactable.customer_id,
        contactable.email,
        contactable.subscription_status,
        contactable.subscription_updated_at,
        customers.contact_id,
        nullif(trim(customers.first_name), '') as first_name,
        nullif(trim(customers.last_name), '') as last_name,
        holdout.customer_id is not null as is_global_holdout,
        segments.rfm_segment,
        segments.lifecycle_stage,
        segments.engagement_tier,
        features.top_category,
        features.last_order_at,
        send_times.best_hour_utc,
        send_times.best_hour_local,
        send_times.source as send_time_source
    from contactable
    inner join customers
        on contactable.customer_id = customers.customer_id
    left join segments
        on contactable.customer_id = segments.customer_id
    left join features
        on contactable.customer_id = features.customer_id
    left join send_times
        on contactable.customer_id = send_times.customer_id
    left join holdout
        on contactable.customer_id = holdout.customer_id
),


slots as (
    select
        slots.customer_id,
        slots.slot,
        slots.recommendation_source,
        bestsellers.product_id,
        bestsellers.product_name,
        bestsellers.product_url,
        bestsellers.image_url,
        bestsellers.price
    from {{ ref('fct_customer_recommendation_slots') }} as slots
    inner join bestsellers
        on slots.product_id = bestsellers.product_id
)

select
    base.customer_id,
    base.email,
    base.contact_id,
    base.first_name,
    base.last_name,
    base.is_global_holdout,
    base.subscription_status,
    base.subscription_updated_at as subscribed_at,
    case when base.is_global_holdout then 'default' else coalesce(base.rfm_segment, 'Prospect') end as rfm_segment,
    case when base.is_global_holdout then 'default' else base.lifecycle_stage end as lifecycle_stage,
    case when base.is_global_holdout then 'default' else base.engagement_tier end as engagement_tier,
    case
        when base.is_global_holdout then 'default'
        when scores.action_tier is not null then scores.action_tier
        when base.engagement_tier = 'highly_engaged' then 'offer'
        when base.engagement_tier = 'engaged' then 'nurture'
        else 're-engage'
    end as action_tier,
    case
        when base.is_global_holdout then 'default'
        when scores.action_tier is not null then 'model'
        else 'engagement_rules'
    end as action_tier_source,
    -- shown in copy ("picked from ..."), so the fallback reads well
    case when base.is_global_holdout then 'Bestsellers' else coalesce(base.top_category, 'Bestsellers') end
        as top_category,
    case
        when base.is_global_holdout then global_send_hour.best_hour_utc
        else coalesce(base.best_hour_utc, global_send_hour.best_hour_utc)
    end as send_hour_utc,
    case when base.is_global_holdout then 'global' else coalesce(base.send_time_source, 'global') end
        as send_time_source,
    {%- for slot in range(1, n_recs + 1) %}
    slot_{{ slot }}.product_id as rec_{{ slot }}_product_id,
    slot_{{ slot }}.product_name as rec_{{ slot }}_name,
    slot_{{ slot }}.product_url as rec_{{ slot }}_url,
    slot_{{ slot }}.image_url as rec_{{ slot }}_image_url,
    slot_{{ slot }}.price as rec_{{ slot }}_price,
    {%- endfor %}
    slot_1.recommendation_source,
    -- a prediction is personalised content: none for the holdout
    case when not base.is_global_holdout then scores.expected_next_order_date end as expected_next_order_date,
    -- a fact, not personalised content: the holdout keeps it
    base.last_order_at,
    {{ base_currency_literal() }} as currency
from base
cross join global_send_hour
{%- for slot in range(1, n_recs + 1) %}
left join slots as slot_{{ slot }}
    on base.customer_id = slot_{{ slot }}.customer_id
    and slot_{{ slot }}.slot = {{ slot }}
{%- endfor %}
left join scores
    on base.customer_id = scores.customer_id
