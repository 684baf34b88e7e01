{{ config(materialized='table') }}

{#-
    One row per identifier (CRM contact id, email, anonymous id) with the person
    it belongs to. The rule, in order (documented in _identity__docs.md):
    1. CRM contacts sharing a normalised email are one person; the earliest
       created record (then the smallest contact_id) anchors it.
    2. An email not in the CRM is its own person (a guest or ESP-only contact).
    3. A contact id the CRM lacks belongs to the person of the earliest email
       seen with it, else it is its own person.
    4. An anonymous id belongs to the person of the earliest event that
       identified it (logged in or a form submit); it never bridges two people.
       An anonymous id never identified is its own, anonymous person.
    5. An identifier seen with more people than the var
       identity_max_people_per_identifier (int_identifiers_quarantined: a
       shop's guest contact id, a kiosk's device id) links nobody. A contact id
       the CRM lacks and an anonymous id are then left out of this map, so rows
       carrying them fall back on their other identifiers (rows with none are
       not attributed); a CRM contact id still belongs to its CRM person but is
       flagged is_quarantined, and attribute_to_customers ignores it.
    customer_id is a hash of the anchor identifier, so it is stable across
    rebuilds of the same data.
-#}

with

-- the sources, each read where it is used rather than copied (not_materialized),
-- but the web events' combinations of identifiers (int_web_identifier_sightings)
contacts as {{ not_materialized() }} (
    select
        contact_id,
        email,
        created_at,
        updated_at
    from {{ ref('stg_crm__contacts') }}
),

orders as {{ not_materialized() }} (
    select
        contact_id,
        email,
        ordered_at
    from {{ ref('stg_shop__orders') }}
),

-- one row per combination of identifiers with its first event: every rule
-- below takes a first sighting (read once, then kept)
web_events as (
    select
        anonymous_id,
        contact_id,
        email,
        first_seen_at as occurred_at
    from {{ ref('int_web_identifier_sightings') }}
),

email_events as (
    select
        email,
        min(occurred_at) as first_seen_at
    from {{ ref('stg_esp__email_events') }}
    group by email
),

subscriptions as (
    select
        email,
        subscription_updated_at
    from {{ ref('stg_esp__subscriptions') }}
),

assignments as {{ not_materialized() }} (
    select
        contact_id,
        email,
        assigned_at
    from {{ ref('stg_experiments__assignments') }}
),

quarantined as (
    select
        identifier_type,
        identifier_value
    from {{ ref('int_identifiers_quarantined') }}
    where is_quarantined
),

quarantined_contacts as (
    select identifier_value as contact_id
    from quarantined
    where identifier_type = 'contact_id'
),

quarantined_devices as (
    select identifier_value as anonymous_id
    from quarantined
    where identifier_type = 'anonymous_id'
),

crm_anchored as (
    select
        contact_id,
        email,
        created_at,
        updated_at,
        first_value(contact_id) over (
            partition by coalesce(email, contact_id)
            order by created_at nulls last, contact_id
        ) as anchor_contact_id
    from contacts
),

crm_emails as (
    select
        email,
        min(anchor_contact_id) as anchor_contact_id
    from crm_anchored
    where email is not null
    group by email
),

-- contact ids seen outside the CRM, with the email they came with
contact_sightings as (
    select
        contact_id,
        email,
        ordered_at as seen_at
    from orders
    where contact_id is not null
    union all
    select
        contact_id,
        email,
        occurred_at as seen_at
    from web_events
    where contact_id is not null
    union all
    select
        contact_id,
        email,
        assigned_at as seen_at
    from assignments
    where contact_id is not null
),

unknown_contacts as (
    select
        contact_sightings.contact_id,
        min(contact_sightings.seen_at) as first_seen_at,
        -- ties on time go to the first email alphabetically, so reruns agree
        min_by(
            contact_sightings.email,
            {{ ordering_tuple(['contact_sightings.seen_at', 'contact_sightings.email']) }}
        ) filter (
            where contact_sightings.email is not null
        ) as email
    from contact_sightings
    anti join contacts
        on contact_sightings.contact_id = contacts.contact_id
    anti join quarantined_contacts
        on contact_sightings.contact_id = quarantined_contacts.contact_id
    group by contact_sightings.contact_id
),

-- rows whose contact id is quarantined fall back on their email
fallback_emails as (
    select
        contact_sightings.email,
        min(contact_sightings.seen_at) as first_seen_at
    from contact_sightings
    semi join quarantined_contacts
        on contact_sightings.contact_id = quarantined_contacts.contact_id
    where contact_sightings.email is not null
    group by contact_sightings.email
),

-- every email that identifies activity on its own
email_sightings as (
    select
        email,
        first_seen_at as seen_at
    from email_events
    union all
    select
        email,
        subscription_updated_at as seen_at
    from subscriptions
    union all
    select
        email,
        ordered_at as seen_at
    from orders
    where contact_id is null and email is not null
    union all
    select
        email,
        occurred_at as seen_at
    from web_events
    where email is not null
    union all
    select
        email,
        assigned_at as seen_at
    from assignments
    where contact_id is null and email is not null
    union all
    select
        email,
        first_seen_at as seen_at
    from unknown_contacts
    where email is not null
    union all
    select
        email,
        first_seen_at as seen_at
    from fallback_emails
),

email_identities as (
    select
        email_sightings.email,
        min(email_sightings.seen_at) as first_seen_at,
        coalesce(
            'contact:' || any_value(crm_emails.anchor_contact_id),
            'email:' || email_sightings.email
        ) as person_key
    from email_sightings
    left join crm_emails
        on email_sightings.email = crm_emails.email
    group by email_sightings.email
),

crm_contact_identities as (
    select
        crm_anchored.contact_id,
        -- created_at may be unknown (blank in the CRM); the record existed by its updated_at
        coalesce(crm_anchored.created_at, crm_anchored.updated_at) as first_seen_at,
        'contact:' || crm_anchored.anchor_contact_id as person_key,
        quarantined_contacts.contact_id is not null as is_quarantined
    from crm_anchored
    left join quarantined_contacts
        on crm_anchored.contact_id = quarantined_contacts.contact_id
),

unknown_contact_identities as (
    select
        unknown_contacts.contact_id,
        unknown_contacts.first_seen_at,
        coalesce(
            email_identities.person_key,
            'contact:' || unknown_contacts.contact_id
        ) as person_key,
        false as is_quarantined
    from unknown_contacts
    left join email_identities
        on unknown_contacts.email = email_identities.email
),

contact_identities as (
    select * from crm_contact_identities
    union all
    select * from unknown_contact_identities
),

-- who each event on a device names (a quarantined contact id names nobody)
device_links as (
    select
        web_events.anonymous_id,
        web_events.occurred_at,
        coalesce(contact_identities.person_key, email_identities.person_key) as person_key
    from web_events
    left join contact_identities
        on web_events.contact_id = contact_identities.contact_id
        and not contact_identities.is_quarantined
    left join email_identities
        on web_events.email = email_identities.email
    where web_events.anonymous_id is not null
),

-- the first event that identified each device
anonymous_first_links as (
    select
        anonymous_id,
        min_by(person_key, {{ ordering_tuple(['occurred_at', 'person_key']) }}) as person_key
    from device_links
    where person_key is not null
    group by anonymous_id
),

anonymous_identities as (
    select
        web_events.anonymous_id,
        min(web_events.occurred_at) as first_seen_at,
        coalesce(
            any_value(anonymous_first_links.person_key),
            'anonymous:' || web_events.anonymous_id
        ) as person_key
    from web_events
    left join anonymous_first_links
        on web_events.anonymous_id = anonymous_first_links.anonymous_id
    anti join quarantined_devices
        on web_events.anonymous_id = quarantined_devices.anonymous_id
    where web_events.anonymous_id is not null
    group by web_events.anonymous_id
),

identities as (
    select
        'contact_id' as identifier_type,
        contact_id as identifier_value,
        first_seen_at,
        person_key,
        is_quarantined
    from contact_identities
    union all
    select
        'email' as identifier_type,
        email as identifier_value,
        first_seen_at,
        person_key,
        false as is_quarantined
    from email_identities
    union all
    select
        'anonymous_id' as identifier_type,
        anonymous_id as identifier_value,
        first_seen_at,
        person_key,
        false as is_quarantined
    from anonymous_identities
)

select
    identifier_type,
    identifier_value,
    md5(person_key) as customer_id,
    person_key,
    split_part(person_key, ':', 1) as anchor_type,
    first_seen_at,
    is_quarantined
from identities
