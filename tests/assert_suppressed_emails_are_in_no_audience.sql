-- A suppressed email is on the suppression list and in no audience, member
-- list or trigger event feed.
with

suppressed as (
    select email from {{ ref('sync_esp__suppressions') }}
),

members as (
    select email_address as email from {{ ref('sync_mailchimp__members') }}
    union all
    select email from {{ ref('sync_esp__audiences') }}
    union all
    select profile_email as email from {{ ref('sync_klaviyo__events') }}
)

select members.email
from members
inner join suppressed
    on members.email = suppressed.email
