-- The promise: nothing personal leaves through an export unless the contact
-- consented. Every email in a sync_* model (but the suppression list) must be
-- a contactable email. Braze events carry no email: each must belong to a
-- synced Braze user (else its email shows as null and fails).
with

exported as (
    select
        email_address as email,
        'sync_mailchimp__members' as export
    from {{ ref('sync_mailchimp__members') }}
    union all
    select
        email,
        'sync_hubspot__contacts' as export
    from {{ ref('sync_hubspot__contacts') }}
    union all
    select
        email,
        'sync_braze__users' as export
    from {{ ref('sync_braze__users') }}
    union all
    select
        email,
        'sync_klaviyo__profiles' as export
    from {{ ref('sync_klaviyo__profiles') }}
    union all
    select
        email,
        'sync_esp__audiences' as export
    from {{ ref('sync_esp__audiences') }}
    union all
    select
        email,
        'sync_klaviyo__subscriptions' as export
    from {{ ref('sync_klaviyo__subscriptions') }}
    union all
    select
        profile_email as email,
        'sync_klaviyo__events' as export
    from {{ ref('sync_klaviyo__events') }}
    union all
    select
        braze_users.email,
        'sync_braze__events' as export
    from {{ ref('sync_braze__events') }} as braze_events
    left join {{ ref('sync_braze__users') }} as braze_users
        on braze_events.external_id = braze_users.external_id
),

contactable as (
    select email
    from {{ ref('fct_contactability') }}
    where is_contactable
)

select exported.*
from exported
where
    not exists (
        select 1
        from contactable
        where contactable.email = exported.email
    )
