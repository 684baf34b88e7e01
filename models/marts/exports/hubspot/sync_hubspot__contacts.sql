{#-
    HubSpot contacts: email plus lowercase snake_case properties (firstname and
    lastname are HubSpot's own; the rest are custom properties to create once).
    customer_lifecycle_stage avoids HubSpot's built-in lifecyclestage.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

content as (
    select
        email,
        coalesce(first_name, '') as firstname,
        coalesce(last_name, '') as lastname,
        customer_id as ep_customer_id,
        rfm_segment,
        coalesce(lifecycle_stage, 'default') as customer_lifecycle_stage,
        engagement_tier,
        action_tier,
        top_category,
        cast(send_hour_utc as integer) as best_send_hour_utc,
        {{- export_recommendation_columns('rec_{slot}_{field}') }}
        is_global_holdout as in_global_holdout
    from personalization
)

{{ select_with_change_tracking('content', 'email') }}
