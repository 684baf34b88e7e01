{{ config(materialized='table') }}

{#-
    Identifiers seen with an implausible number of people: more than the var
    identity_max_people_per_identifier distinct people. A shop's default
    contact id written on every guest order, or a kiosk's anonymous id logged
    into by dozens of shoppers, would otherwise pin strangers' orders and
    visits on one person (rules 3 and 4 of int_identities_stitched). A
    quarantined identifier links nobody: rows carrying it fall back on their
    other identifiers, and rows with no other identifier are not attributed
    (rows_unattributed counts them).

    People are counted as int_identities_stitched would join them: an email is
    the person of its CRM anchor (rule 1) or its own; a CRM contact id is its
    CRM person; a contact id the CRM lacks is the person of the first email
    seen with it (rule 3). A contact id counts its own CRM person plus the
    people of every email seen with it; an anonymous id counts the people of
    every event that identified it (the contact id when it is not itself
    quarantined, else the email).

    CRM emails are not quarantined: contacts sharing an email are one person
    (rule 1), the CRM's own statement. An email shared by more contacts than
    the var is listed as crm_email_shared_by_many_contacts (is_quarantined
    false) so the operator can fix the CRM.
-#}

{%- set max_people = number_var('identity_max_people_per_identifier') %}

with

contacts as (
    select
        contact_id,
        email,
        created_at
    from {{ ref('stg_crm__contacts') }}
),

orders as (
    select
        contact_id,
        email,
        ordered_at
    from {{ ref('stg_shop__orders') }}
),

-- one row per combination of identifiers, with its number of events and the
-- first: everything below counts events or takes the first sighting
web_events as (
    select
        anonymous_id,
        contact_id,
        email,
        first_seen_at as occurred_at,
        events
    from {{ ref('int_web_identifier_sightings') }}
),

assignments as (
    select
        contact_id,
        email,
        assigned_at
    from {{ ref('stg_experiments__assignments') }}
),

-- rule 1, as in int_identities_stitched
crm_anchored as (
    select
        contact_id,
        email,
        first_value(contact_id) over (
            partition by coalesce(email, contact_id)
            order by created_at nulls last, contact_id
        ) as anchor_contact_id
    from contacts
),

crm_emails as (
    select
        email,
        min(anchor_contact_id) as anchor_contact_id,
        count(distinct contact_id) as contacts
    from crm_anchored
    where email is not null
    group by email
),

contact_sightings as (
    select
        contact_id,
        email,
        ordered_at as seen_at,
        1 as sightings
    from orders
    where contact_id is not null
    union all
    select
        contact_id,
        email,
        occurred_at as seen_at,
        events as sightings
    from web_events
    where contact_id is not null
    union all
    select
        contact_id,
        email,
        assigned_at as seen_at,
        1 as sightings
    from assignments
    where contact_id is not null
),

sightings_with_people as (
    select
        contact_sightings.contact_id,
        contact_sightings.email,
        contact_sightings.seen_at,
        contact_sightings.sightings,
        crm_anchored.anchor_contact_id is not null as is_crm_contact,
        'contact:' || crm_anchored.anchor_contact_id as crm_person_key,
        case
            when contact_sightings.email is not null
                then coalesce('contact:' || crm_emails.anchor_contact_id, 'email:' || contact_sightings.email)
        end as email_person_key
    from contact_sightings
    left join crm_anchored
        on contact_sightings.contact_id = crm_anchored.contact_id
    left join crm_emails
        on contact_sightings.email = crm_emails.email
),

contact_counts as (
    select
        contact_id,
        any_value(is_crm_contact) as is_crm_contact,
        sum(sightings) as rows_affected,
        -- every person seen with the id (a row without an email names the CRM person), plus
        -- the CRM person itself when no row named it
        count(distinct coalesce(email_person_key, crm_person_key))
        + case
            when
                any_value(is_crm_contact)
                and count(*) filter (where coalesce(email_person_key, crm_person_key) = crm_person_key) = 0
                then 1
            else 0
        end as people_linked,
        -- rule 3's person of a contact id the CRM lacks: its first email
        min_by(email_person_key, {{ ordering_tuple(['seen_at', 'email']) }}) filter (where email_person_key is not null)
            as unknown_contact_person_key
    from sightings_with_people
    group by contact_id
),

quarantined_contacts as (
    select
        contact_id,
        people_linked,
        rows_affected,
        case
            when is_crm_contact then 'crm_contact_id_shared_by_too_many_people'
            else 'contact_id_shared_by_too_many_people'
        end as reason
    from contact_counts
    where people_linked > {{ max_people }}
),

-- who each identifying event names, once quarantined contact ids are ignored
device_people as (
    select
        web_events.anonymous_id,
        coalesce(
            case
                when quarantined_contacts.contact_id is null and crm_anchored.anchor_contact_id is not null
                    then 'contact:' || crm_anchored.anchor_contact_id
                when quarantined_contacts.contact_id is null and web_events.contact_id is not null
                    then coalesce(contact_counts.unknown_contact_person_key, 'contact:' || web_events.contact_id)
            end,
            case
                when web_events.email is not null
                    then coalesce('contact:' || crm_emails.anchor_contact_id, 'email:' || web_events.email)
            end
        ) as person_key,
        web_events.events
    from web_events
    left join quarantined_contacts
        on web_events.contact_id = quarantined_contacts.contact_id
    left join crm_anchored
        on web_events.contact_id = crm_anchored.contact_id
    left join contact_counts
        on web_events.contact_id = contact_counts.contact_id
    left join crm_emails
        on web_events.email = crm_emails.email
    where web_events.anonymous_id is not null
),

quarantined_devices as (
    select
        anonymous_id,
        count(distinct person_key) as people_linked,
        sum(events) as rows_affected,
        'anonymous_id_shared_by_too_many_people' as reason
    from device_people
    group by anonymous_id
    having count(distinct person_key) > {{ max_people }}
),

crowded_crm_emails as (
    select
        crm_emails.email,
        crm_emails.contacts as people_linked,
        count(contacts.contact_id) as rows_affected,
        'crm_email_shared_by_many_contacts' as reason
    from crm_emails
    inner join contacts
        on crm_emails.email = contacts.email
    where crm_emails.contacts > {{ max_people }}
    group by crm_emails.email, crm_emails.contacts
),

-- rows with no identifier left once the quarantined ones are ignored: attributed to nobody
stranded_by_contact as (
    select
        carried.contact_id,
        sum(carried.events) as rows_unattributed
    from (
        select
            orders.contact_id,
            1 as events
        from orders
        where orders.email is null
        union all
        select
            assignments.contact_id,
            1 as events
        from assignments
        where assignments.email is null
        union all
        select
            web_events.contact_id,
            web_events.events
        from web_events
        left join quarantined_devices
            on web_events.anonymous_id = quarantined_devices.anonymous_id
        where web_events.email is null
            and (web_events.anonymous_id is null or quarantined_devices.anonymous_id is not null)
    ) as carried
    semi join quarantined_contacts
        on carried.contact_id = quarantined_contacts.contact_id
    group by carried.contact_id
),

stranded_by_device as (
    select
        web_events.anonymous_id,
        sum(web_events.events) as rows_unattributed
    from web_events
    semi join quarantined_devices
        on web_events.anonymous_id = quarantined_devices.anonymous_id
    left join quarantined_contacts
        on web_events.contact_id = quarantined_contacts.contact_id
    where web_events.email is null
        and (web_events.contact_id is null or quarantined_contacts.contact_id is not null)
    group by web_events.anonymous_id
),

listed as (
    select
        'contact_id' as identifier_type,
        quarantined_contacts.contact_id as identifier_value,
        quarantined_contacts.people_linked,
        quarantined_contacts.rows_affected,
        coalesce(stranded_by_contact.rows_unattributed, 0) as rows_unattributed,
        true as is_quarantined,
        quarantined_contacts.reason
    from quarantined_contacts
    left join stranded_by_contact
        on quarantined_contacts.contact_id = stranded_by_contact.contact_id
    union all
    select
        'anonymous_id' as identifier_type,
        quarantined_devices.anonymous_id as identifier_value,
        quarantined_devices.people_linked,
        quarantined_devices.rows_affected,
        coalesce(stranded_by_device.rows_unattributed, 0) as rows_unattributed,
        true as is_quarantined,
        quarantined_devices.reason
    from quarantined_devices
    left join stranded_by_device
        on quarantined_devices.anonymous_id = stranded_by_device.anonymous_id
    union all
    select
        'email' as identifier_type,
        email as identifier_value,
        people_linked,
        rows_affected,
        0 as rows_unattributed,
        -- rule 1 stands: the CRM says these contacts are one person
        false as is_quarantined,
        reason
    from crowded_crm_emails
)

select
    identifier_type,
    identifier_value,
    cast(people_linked as bigint) as people_linked,
    cast(rows_affected as bigint) as rows_affected,
    cast(rows_unattributed as bigint) as rows_unattributed,
    is_quarantined,
    reason
from listed
