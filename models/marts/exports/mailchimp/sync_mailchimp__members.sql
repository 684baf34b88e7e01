-- noqa: disable=RF06
-- (merge tags are uppercase: the quotes keep DuckDB from folding their case)
{#-
    Mailchimp audience members: one row per contactable email with merge
    fields named exactly as the merge tags (uppercase, at most 10 characters,
    19 of Mailchimp's 30), each text at most 255 characters and never blank:
    FNAME falls back to "there" ("Hi there"), recommendations to bestsellers,
    the send hour to everyone's best hour.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

content as (
    select
        left(email, 255) as email_address,
        'subscribed' as status,
        left(coalesce(first_name, 'there'), 255) as "FNAME",
        left(coalesce(last_name, ''), 255) as "LNAME",
        left(rfm_segment, 255) as "SEGMENT",
        left(coalesce(lifecycle_stage, 'default'), 255) as "LIFECYCLE",
        left(action_tier, 255) as "TIER",
        left(top_category, 255) as "TOPCAT",
        {{- export_recommendation_columns('REC{slot}{FIELD}', image_field='img', max_length=255, quote=true) }}
        cast(send_hour_utc as integer) as "SENDHOUR"
    from personalization
)

{{ select_with_change_tracking('content', 'email_address') }}
