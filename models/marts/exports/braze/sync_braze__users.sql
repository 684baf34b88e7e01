{#-
    Braze users keyed by external_id (the project's customer_id): standard
    attributes (email, first_name, last_name) and custom attributes, every
    string within Braze's 255-character limit.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

content as (
    select
        customer_id as external_id,
        left(email, 255) as email,
        left(coalesce(first_name, ''), 255) as first_name,
        left(coalesce(last_name, ''), 255) as last_name,
        left(rfm_segment, 255) as rfm_segment,
        left(coalesce(lifecycle_stage, 'default'), 255) as lifecycle_stage,
        left(engagement_tier, 255) as engagement_tier,
        left(action_tier, 255) as action_tier,
        left(top_category, 255) as top_category,
        cast(send_hour_utc as integer) as send_hour_utc,
        {{- export_recommendation_columns('rec_{slot}_{field}', max_length=255) }}
        is_global_holdout as in_global_holdout
    from personalization
)

{{ select_with_change_tracking('content', 'external_id') }}
