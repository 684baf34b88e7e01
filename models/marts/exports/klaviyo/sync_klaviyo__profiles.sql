{#-
    Klaviyo profiles keyed by email: Klaviyo's first_name and last_name, and
    custom properties. Values are the data or null, never a placeholder, so an
    import never overwrites what Klaviyo holds. A profile import subscribes no
    one: consent goes through sync_klaviyo__subscriptions. external_id is the
    persistent id of dim_customer_external_ids (the same as Braze's and as
    sync_klaviyo__events' profile_external_id), which never changes for a person.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

external_ids as (
    select
        customer_id,
        external_id
    from {{ ref('dim_customer_external_ids') }}
    where is_active
),

content as (
    select
        personalization.email,
        personalization.first_name,
        personalization.last_name,
        external_ids.external_id,
        personalization.rfm_segment,
        coalesce(personalization.lifecycle_stage, 'default') as lifecycle_stage,
        personalization.engagement_tier,
        personalization.action_tier,
        personalization.top_category,
        cast(personalization.send_hour_utc as integer) as send_hour_utc,
        {{- export_recommendation_columns('rec_{slot}_{field}') }}
        personalization.is_global_holdout as in_global_holdout
    from personalization
    left join external_ids
        on personalization.customer_id = external_ids.customer_id
)

{{ select_with_change_tracking('content', 'email') }}
