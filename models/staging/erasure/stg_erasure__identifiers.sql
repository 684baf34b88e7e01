{{ config(materialized='table') }}

{#-
    Every identifier of a person who asked to be erased, as a SHA-256 only, read
    from the raw tables before any base model keeps a row: base models mark the
    rows carrying one of these (macro is_erased_row) as rejected 'erased' and
    keep nothing else of them. Raw values are normalised exactly as base models
    do (clean_identifier; emails lowercased and trimmed, valid or not).
    - an email is erased when its hash is requested;
    - a contact id is erased when the rows that name it with an email (the CRM's
      rows for a CRM contact id, every row otherwise) all carry an erased email;
    - an anonymous id is erased when the web events that identify it (with an
      email or a contact id) all carry an erased identifier.
    An identifier also seen with someone else is kept (it is theirs too); the
    rows that carry it together with an erased identifier still go.
    An order carrying an erased email or contact id is erased with its lines.
    email_md5: md5 of the email, Mailchimp's subscriber_hash, so the member can
    be deleted there.
    customer_id: the customer ids the person could have held (md5 of their
    possible person keys), for the deletion feeds.
-#}

with

requests as (
    {{ erasure_requests() }}
),

-- each distinct combination of raw identifiers once: the normalising below runs
-- on these, not on every event (41 M web and 33 M email events at 1 M contacts)
web_identifiers as (
    select distinct
        anonymous_id,
        contact_id,
        email
    from {{ source('web', 'web_events') }}
),

order_identifiers as (
    select distinct
        contact_id,
        email
    from {{ source('shop', 'orders') }}
),

email_event_emails as (
    select distinct email
    from {{ source('esp', 'email_events') }}
),

crm as (
    select
        {{ erasure_email_key('email') }} as email_key,
        {{ clean_identifier('contact_id') }} as contact_id,
        true as is_crm
    from {{ source('crm', 'crm_contacts') }}
),

other_sightings as (
    select
        {{ erasure_email_key('email') }} as email_key,
        {{ clean_identifier('contact_id') }} as contact_id
    from order_identifiers
    union all
    select
        {{ erasure_email_key('email') }} as email_key,
        {{ clean_identifier('contact_id') }} as contact_id
    from web_identifiers
    union all
    select
        {{ erasure_email_key('email') }} as email_key,
        {{ clean_identifier('contact_id') }} as contact_id
    from {{ source('experiments', 'experiment_assignments') }}
),

all_emails as (
    select email_key from crm
    union
    select email_key from other_sightings
    union
    select {{ erasure_email_key('email') }} as email_key from email_event_emails
    union
    select {{ erasure_email_key('email') }} as email_key from {{ source('esp', 'email_subscriptions') }}
),

erased_emails as (
    select all_emails.email_key
    from all_emails
    inner join requests
        on {{ sha256_hex("all_emails.email_key") }} = requests.email_sha256
),

contact_sightings as (
    select
        contact_id,
        email_key,
        is_crm
    from crm
    where contact_id is not null and email_key is not null
    union all
    select
        other_sightings.contact_id,
        other_sightings.email_key,
        false as is_crm
    from other_sightings
    anti join crm
        on other_sightings.contact_id = crm.contact_id
    where other_sightings.contact_id is not null and other_sightings.email_key is not null
),

-- only a contact id seen with an erased email can be erased: the check reads
-- the sightings of those few ids, not a group of every contact's sightings
-- (which at a million contacts outgrew the memory limit)
candidate_contacts as (
    select distinct contact_sightings.contact_id
    from contact_sightings
    inner join erased_emails
        on contact_sightings.email_key = erased_emails.email_key
),

erased_contacts as (
    select contact_sightings.contact_id
    from contact_sightings
    left join erased_emails
        on contact_sightings.email_key = erased_emails.email_key
    where contact_sightings.contact_id in (select candidate_contacts.contact_id from candidate_contacts)
    group by contact_sightings.contact_id
    having bool_and(erased_emails.email_key is not null)
),

device_sightings as (
    select
        {{ clean_identifier('anonymous_id') }} as anonymous_id,
        {{ erasure_email_key('email') }} as email_key,
        {{ clean_identifier('contact_id') }} as contact_id
    from web_identifiers
),

-- likewise, only a device seen with an erased email or contact id can be erased
candidate_devices as (
    select distinct {{ clean_identifier('web_events.anonymous_id') }} as anonymous_id
    from web_identifiers as web_events
    where
        {{ erasure_email_key('web_events.email') }} in (select erased_emails.email_key from erased_emails)
        or {{ clean_identifier('web_events.contact_id') }} in (
            select erased_contacts.contact_id from erased_contacts
        )
),

device_sightings_checked as (
    select
        device_sightings.anonymous_id,
        (device_sightings.email_key is null or erased_emails.email_key is not null)
        and (
            device_sightings.contact_id is null or erased_contacts.contact_id is not null
        ) as is_erased_sighting
    from device_sightings
    left join erased_emails
        on device_sightings.email_key = erased_emails.email_key
    left join erased_contacts
        on device_sightings.contact_id = erased_contacts.contact_id
    where
        device_sightings.anonymous_id in (select candidate_devices.anonymous_id from candidate_devices)
        and (device_sightings.email_key is not null or device_sightings.contact_id is not null)
),

erased_devices as (
    select anonymous_id
    from device_sightings_checked
    group by anonymous_id
    having bool_and(is_erased_sighting)
),

-- an erased person's orders, so base_shop__order_items drops their lines too
erased_orders as (
    select distinct {{ clean_text('orders.order_id') }} as order_id
    from {{ source('shop', 'orders') }} as orders
    left join erased_emails
        on {{ erasure_email_key('orders.email') }} = erased_emails.email_key
    left join erased_contacts
        on {{ clean_identifier('orders.contact_id') }} = erased_contacts.contact_id
    where
        {{ clean_text('orders.order_id') }} is not null
        and (erased_emails.email_key is not null or erased_contacts.contact_id is not null)
),

identifiers as (
    select
        'email' as identifier_type,
        {{ sha256_hex("email_key") }} as identifier_sha256,
        md5(email_key) as email_md5,
        md5('email:' || email_key) as customer_id
    from erased_emails
    union all
    select
        'contact_id' as identifier_type,
        {{ sha256_hex("contact_id") }} as identifier_sha256,
        null as email_md5,
        md5('contact:' || contact_id) as customer_id
    from erased_contacts
    union all
    select
        'anonymous_id' as identifier_type,
        {{ sha256_hex("anonymous_id") }} as identifier_sha256,
        null as email_md5,
        md5('anonymous:' || anonymous_id) as customer_id
    from erased_devices
    union all
    select
        'order_id' as identifier_type,
        {{ sha256_hex("order_id") }} as identifier_sha256,
        null as email_md5,
        null as customer_id
    from erased_orders
)

select
    identifier_type,
    identifier_sha256,
    email_md5,
    customer_id
from identifiers
