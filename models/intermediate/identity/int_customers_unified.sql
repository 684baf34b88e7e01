{#- A table, not a view: about seven models and tests read it in every run
    (features, triggers, consent, experiments, dim_customers), and as a view
    each of them grouped the identity map again (about 2 s each at 1,000,000
    contacts, issue 15). -#}
{{ config(materialized='table') }}

{#-
    One row per person, as every customer model reads them: the identity map
    (int_identities_stitched) resolved into a customer with the latest CRM
    record's names, country and time zone, the first signup and the ESP
    subscription status of the person's email. People who asked to be erased
    (int_erased_customers) are left out. dim_customers publishes it;
    intermediate models that need customers (e.g. the macro
    customer_features_at) read it here, below the marts.
-#}

with

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

subscriptions as (
    select * from {{ ref('stg_esp__subscriptions') }}
),

erased as (
    select * from {{ ref('int_erased_customers') }}
),

-- people who asked to be erased leave every mart from here on
kept_identities as (
    select identities.*
    from identities
    anti join erased
        on identities.customer_id = erased.customer_id
),

people as (
    select
        customer_id,
        any_value(person_key) as person_key,
        any_value(anchor_type) as anchor_type,
        min(first_seen_at) as first_seen_at,
        count(*) filter (where identifier_type = 'contact_id') as contact_id_count,
        count(*) filter (where identifier_type = 'email') as email_count,
        count(*) filter (where identifier_type = 'anonymous_id') as anonymous_id_count,
        min_by(identifier_value, {{ ordering_tuple(['first_seen_at', 'identifier_value']) }}) filter (
            where identifier_type = 'email'
        ) as first_email
    from kept_identities
    group by customer_id
),

-- the person's latest CRM record supplies names, country and time zone
latest_crm_records as (
    select
        identities.customer_id,
        contacts.contact_id,
        contacts.email,
        contacts.first_name,
        contacts.last_name,
        contacts.country_code,
        contacts.time_zone,
        contacts.created_at
    from identities
    inner join contacts
        on identities.identifier_type = 'contact_id'
        and identities.identifier_value = contacts.contact_id
    qualify
        row_number() over (
            partition by identities.customer_id
            order by contacts.updated_at desc, contacts.contact_id asc
        ) = 1
),

crm_signups as (
    select
        identities.customer_id,
        min(contacts.created_at) as signed_up_at
    from identities
    inner join contacts
        on identities.identifier_type = 'contact_id'
        and identities.identifier_value = contacts.contact_id
    group by identities.customer_id
),

resolved as (
    select
        people.customer_id,
        case
            when people.anchor_type = 'contact' then split_part(people.person_key, ':', 2)
        end as contact_id,
        coalesce(latest_crm_records.email, people.first_email) as email,
        latest_crm_records.first_name,
        latest_crm_records.last_name,
        latest_crm_records.country_code,
        latest_crm_records.time_zone,
        case
            when latest_crm_records.customer_id is not null then 'crm_contact'
            when people.anchor_type = 'contact' then 'unknown_contact'
            when people.anchor_type = 'email' then 'email_only'
            else 'anonymous'
        end as customer_type,
        people.anchor_type != 'anonymous' as is_known,
        least(people.first_seen_at, crm_signups.signed_up_at) as first_seen_at,
        crm_signups.signed_up_at,
        people.contact_id_count,
        people.email_count,
        people.anonymous_id_count
    from people
    left join latest_crm_records
        on people.customer_id = latest_crm_records.customer_id
    left join crm_signups
        on people.customer_id = crm_signups.customer_id
)

select
    resolved.customer_id,
    resolved.contact_id,
    resolved.email,
    resolved.first_name,
    resolved.last_name,
    resolved.country_code,
    resolved.time_zone,
    coalesce(subscriptions.subscription_status, 'never_subscribed') as subscription_status,
    subscriptions.subscription_updated_at,
    resolved.customer_type,
    resolved.is_known,
    resolved.first_seen_at,
    resolved.signed_up_at,
    resolved.contact_id_count,
    resolved.email_count,
    resolved.anonymous_id_count
from resolved
left join subscriptions
    on resolved.email = subscriptions.email
