-- noqa: disable=RF06
-- (merge tags are uppercase: the engine's quotes keep their case)
{#-
    Mailchimp audience members, for PUT /lists/{list_id}/members/{hash}: one
    row per contactable email, merge fields named exactly as the merge tags
    (uppercase, at most 10 characters, at most 30 fields; each defined in
    seeds/mailchimp_merge_fields.csv, which the user creates in the audience).

    Consent: status_if_new is "subscribed" (it applies only when Mailchimp does
    not hold the email yet); status is never "subscribed", so an existing
    member keeps the status Mailchimp holds and one it holds as unsubscribed
    or cleaned is never re-subscribed (Mailchimp refuses that: "Member In
    Compliance State"). status is null unless the email's last known ESP status
    says the member must change to it (unsubscribed or cleaned), which never
    happens for a contactable row; unsubscribes are sent from
    sync_esp__suppressions.

    Dates are written in the format their merge field was created with
    (date_format in the seed, MM/DD/YYYY by default); URLs are absolute
    http(s) addresses or null (safe_url).

    Fields carry the data or null: FNAME is null when the name is unknown, so a
    sync never overwrites a name Mailchimp holds; the greeting's fallback is the
    merge field's default value or the template's *|IF:FNAME|*.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

-- a date merge field takes its value in the format it was created with
next_order_format as (
    select date_format
    from {{ ref('mailchimp_merge_fields') }}
    where tag = 'NEXTORDER'
),

content as (
    select
        left(email, 255) as email_address,
        case
            when subscription_status in ('unsubscribed', 'cleaned') then subscription_status
        end as status,
        case
            when subscription_status = 'subscribed' then 'subscribed'
        end as status_if_new,
        left(first_name, 255) as {{ adapter.quote('FNAME') }},
        left(last_name, 255) as {{ adapter.quote('LNAME') }},
        left(rfm_segment, 255) as {{ adapter.quote('SEGMENT') }},
        left(coalesce(lifecycle_stage, 'default'), 255) as {{ adapter.quote('LIFECYCLE') }},
        left(action_tier, 255) as {{ adapter.quote('TIER') }},
        left(top_category, 255) as {{ adapter.quote('TOPCAT') }},
        {{- export_recommendation_columns('REC{slot}{FIELD}', image_field='img', max_length=255, quote=true) }}
        cast(send_hour_utc as integer) as {{ adapter.quote('SENDHOUR') }},
        case (select next_order_format.date_format from next_order_format)
            when 'MM/DD/YYYY' then {{ format_timestamp('expected_next_order_date', '%m/%d/%Y') }}
            when 'DD/MM/YYYY' then {{ format_timestamp('expected_next_order_date', '%d/%m/%Y') }}
        end as {{ adapter.quote('NEXTORDER') }}
    from personalization
)

{{ select_with_change_tracking('content', 'email_address') }}
