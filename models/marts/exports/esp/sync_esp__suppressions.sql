{#-
    Every email the ESPs must not send to, and why: unsubscribed, cleaned
    (hard bounces the ESP removed), pending (no confirmed opt-in),
    never_subscribed, bounced, complained, or unreadable_stop_signal (a row
    that could mean stop but could not be read: reason_detail names the
    table, the raw value and why it was rejected). People who asked to be erased are
    not here: their erasure must also be carried out in each ESP.
#}

with

suppressed as (
    select
        email,
        suppression_reason,
        unreadable_stop_signals,
        greatest(
            subscription_updated_at,
            last_bounce_at,
            last_spam_report_at,
            last_unsubscribe_at,
            last_unreadable_stop_signal_at
        ) as suppressed_since
    from {{ ref('fct_contactability') }}
    where not is_contactable
),

content as (
    select
        left(email, 255) as email,
        suppression_reason as reason,
        unreadable_stop_signals as reason_detail,
        suppressed_since
    from suppressed
)

{{ select_with_change_tracking('content', 'email') }}
