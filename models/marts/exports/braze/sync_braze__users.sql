{#-
    Braze users keyed by external_id: the persistent id of
    dim_customer_external_ids, which never changes for a person once issued
    (customer_id does when new data re-anchors them; merges are in
    sync_braze__merges). Standard attributes (email, first_name, last_name,
    email_subscribe in Braze's values) and custom attributes, every string
    within Braze's 255-character limit. Names are the data or null: an empty
    string would overwrite a name Braze holds.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

consent as (
    select
        customer_id,
        subscription_status
    from {{ ref('fct_contactability') }}
    where is_primary_email
),

external_ids as (
    select
        customer_id,
        external_id
    from {{ ref('dim_customer_external_ids') }}
    where is_active
),

personalization_with_ids as (
    select
        external_ids.external_id,
        consent.subscription_status as consent_status,
        personalization.*
    from personalization
    inner join external_ids
        on personalization.customer_id = external_ids.customer_id
    left join consent
        on personalization.customer_id = consent.customer_id
),

content as (
    select
        external_id,
        left(email, 255) as email,
        left(first_name, 255) as first_name,
        left(last_name, 255) as last_name,
        -- Braze's values: opted_in (explicit consent), subscribed (neither), unsubscribed;
        -- anything but a subscription we were told of fails closed
        case
            when consent_status = 'subscribed' then 'opted_in'
            else 'unsubscribed'
        end as email_subscribe,
        left(rfm_segment, 255) as rfm_segment,
        left(coalesce(lifecycle_stage, 'default'), 255) as lifecycle_stage,
        left(engagement_tier, 255) as engagement_tier,
        left(action_tier, 255) as action_tier,
        left(top_category, 255) as top_category,
        cast(send_hour_utc as integer) as send_hour_utc,
        {{- export_recommendation_columns('rec_{slot}_{field}', max_length=255) }}
        is_global_holdout as in_global_holdout
    from personalization_with_ids
)

{{ select_with_change_tracking('content', 'external_id') }}
