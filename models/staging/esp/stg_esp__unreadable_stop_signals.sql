{#-
    One row per rejected subscription or email-event row of a known email
    that could mean "stop" (see base_esp__subscriptions.could_mean_stop and
    base_esp__email_events.could_mean_stop). Consent fails closed: the
    project cannot read these rows with certainty, so fct_contactability
    suppresses their email until a later valid opt-in. signal_at is the row's
    time when it can be read (parsed and plausible), else null: a stop whose
    time cannot be read is taken as later than anything else, so only fixing
    or removing the row lifts it. Rows readably at or after as_of have not
    happened yet and are left out.
-#}

with

subscriptions as (
    select
        email,
        'email_subscriptions' as source_table,
        'status' as raw_column,
        raw_status as raw_value,
        rejection_reason,
        readable_updated_at as signal_at
    from {{ ref('base_esp__subscriptions') }}
    where rejection_reason is not null and could_mean_stop
),

email_events as (
    select
        email,
        'email_events' as source_table,
        'event_type' as raw_column,
        raw_event_type as raw_value,
        rejection_reason,
        readable_occurred_at as signal_at
    from {{ ref('base_esp__email_events') }}
    where rejection_reason is not null and could_mean_stop
),

unioned as (
    select * from subscriptions
    union all
    select * from email_events
)

select
    email,
    source_table,
    raw_column,
    raw_value,
    rejection_reason,
    signal_at,
    source_table || '.' || raw_column || '=' || coalesce('''' || raw_value || '''', 'null')
    || ' (' || rejection_reason || ')' as signal_description
from unioned
where
    email is not null
    and coalesce(signal_at < {{ as_of_timestamp() }}, true)
