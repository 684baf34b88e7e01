{#-
    One row per email of every customer: may we email it, and if not, why.
    Contactable: a valid email whose latest subscription status is subscribed,
    with no bounce, spam report or unsubscribe since that status was set, of a
    person who has not asked to be erased (erased people are already gone from
    int_customers_unified and the identity rows used here).
    Consent fails closed: a rejected subscription or email-event row that
    could mean "stop" (stg_esp__unreadable_stop_signals) suppresses the email
    as unreadable_stop_signal when its time is at or after the latest valid
    status, or cannot be read at all (then only fixing the row lifts it).
    fct_contactability publishes it.
-#}

with

identities as (
    select
        identifier_value as email,
        customer_id
    from {{ ref('int_identities_stitched') }}
    where identifier_type = 'email'
),

customers as (
    select
        customer_id,
        email as primary_email
    from {{ ref('int_customers_unified') }}
),

subscriptions as (
    select * from {{ ref('stg_esp__subscriptions') }}
),

negative_events as (
    select
        email,
        event_type,
        occurred_at
    from {{ ref('stg_esp__email_events') }}
    where event_type in ('bounce', 'spam_report', 'unsubscribe')
),

unreadable_stop_signals as (
    select * from {{ ref('stg_esp__unreadable_stop_signals') }}
),

emails as (
    select
        identities.email,
        identities.customer_id,
        identities.email = customers.primary_email as is_primary_email,
        coalesce(subscriptions.subscription_status, 'never_subscribed') as subscription_status,
        subscriptions.subscription_updated_at
    from identities
    inner join customers
        on identities.customer_id = customers.customer_id
    left join subscriptions
        on identities.email = subscriptions.email
),

negatives_since as (
    select
        emails.email,
        max(negative_events.occurred_at) filter (where negative_events.event_type = 'bounce') as last_bounce_at,
        max(negative_events.occurred_at) filter (where negative_events.event_type = 'spam_report')
            as last_spam_report_at,
        max(negative_events.occurred_at) filter (where negative_events.event_type = 'unsubscribe')
            as last_unsubscribe_at
    from emails
    inner join negative_events
        on emails.email = negative_events.email
        -- since the latest status; with no status at all, ever
        and negative_events.occurred_at >= coalesce(emails.subscription_updated_at, timestamp '1900-01-01')
    group by emails.email
),

unreadable_since as (
    select
        emails.email,
        max(unreadable_stop_signals.signal_at) as last_unreadable_stop_signal_at,
        {{ string_agg_distinct('unreadable_stop_signals.signal_description', "'; '") }} as unreadable_stop_signals
    from emails
    inner join unreadable_stop_signals
        on emails.email = unreadable_stop_signals.email
        -- since the latest valid status (a tie suppresses); an unreadable time always counts
        and (
            unreadable_stop_signals.signal_at is null
            or unreadable_stop_signals.signal_at >= coalesce(emails.subscription_updated_at, timestamp '1900-01-01')
        )
    group by emails.email
)

select
    emails.email,
    emails.customer_id,
    emails.is_primary_email,
    emails.subscription_status,
    emails.subscription_updated_at,
    negatives_since.last_bounce_at,
    negatives_since.last_spam_report_at,
    negatives_since.last_unsubscribe_at,
    unreadable_since.last_unreadable_stop_signal_at,
    unreadable_since.unreadable_stop_signals,
    case
        when emails.subscription_status != 'subscribed' then emails.subscription_status
        when negatives_since.last_spam_report_at is not null then 'complained'
        when negatives_since.last_bounce_at is not null then 'bounced'
        when negatives_since.last_unsubscribe_at is not null then 'unsubscribed'
        when unreadable_since.email is not null then 'unreadable_stop_signal'
    end as suppression_reason,
    emails.subscription_status = 'subscribed'
    and negatives_since.email is null
    and unreadable_since.email is null as is_contactable
from emails
left join negatives_since
    on emails.email = negatives_since.email
left join unreadable_since
    on emails.email = unreadable_since.email
