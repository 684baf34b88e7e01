{#- Published from int_email_consent_resolved, where the consent rules live. -#}

with

consent as (
    select * from {{ ref('int_email_consent_resolved') }}
)

select
    email,
    customer_id,
    is_primary_email,
    subscription_status,
    subscription_updated_at,
    last_bounce_at,
    last_spam_report_at,
    last_unsubscribe_at,
    last_unreadable_stop_signal_at,
    unreadable_stop_signals,
    suppression_reason,
    is_contactable
from consent
