{#-
    Klaviyo profiles keyed by email: Klaviyo's first_name and last_name, and
    custom properties. Values are the data or null, never a placeholder, so an
    import never overwrites what Klaviyo holds. A profile import subscribes no
    one: consent goes through sync_klaviyo__subscriptions.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

content as (
    select
        email,
        first_name,
        last_name,
        customer_id as external_id,
        rfm_segment,
        coalesce(lifecycle_stage, 'default') as lifecycle_stage,
        engagement_tier,
        action_tier,
        top_category,
        cast(send_hour_utc as integer) as send_hour_utc,
        {{- export_recommendation_columns('rec_{slot}_{field}') }}
        is_global_holdout as in_global_holdout
    from personalization
)

{{ select_with_change_tracking('content', 'email') }}
