{#-
    Klaviyo email-marketing consent, for the Bulk Subscribe Profiles job
    (POST /api/profile-subscription-bulk-create-jobs): one row per contactable
    email, consent SUBSCRIBED, and consented_at, when the ESP recorded the
    subscription (send it with historical_import, as Klaviyo requires for a
    consent timestamp in the past). Profile imports never subscribe anyone, so
    without this sync Klaviyo treats every profile as never subscribed.
    Anyone not contactable is absent; their unsubscribes go out through
    sync_esp__suppressions.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

content as (
    select
        email,
        'SUBSCRIBED' as consent,
        subscribed_at as consented_at
    from personalization
    where subscription_status = 'subscribed'
)

{{ select_with_change_tracking('content', 'email') }}
