{#-
    Every email the ESPs must not send to, and why: unsubscribed, cleaned
    (hard bounces the ESP removed), pending (no confirmed opt-in),
    never_subscribed, bounced, complained. People who asked to be erased are
    not here: their erasure must also be carried out in each ESP.
#}

with

suppressed as (
    select
        email,
        suppression_reason,
        greatest(
            subscription_updated_at, last_bounce_at, last_spam_report_at, last_unsubscribe_at
        ) as suppressed_since
    from {{ ref('fct_contactability') }}
    where not is_contactable
),

content as (
    select
        left(email, 255) as email,
        suppression_reason as reason,
        suppressed_since
    from suppressed
)

{{ select_with_change_tracking('content', 'email') }}
