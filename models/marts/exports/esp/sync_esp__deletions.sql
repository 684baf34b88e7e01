{#-
    What a reverse-ETL tool in delete mode (or a script) must delete or
    unsubscribe in each ESP, one row per person and action (sync_action):
    - sync_action 'delete', reason 'erased': a person who asked to be erased, by
      hashes only (their email is kept nowhere): email_sha256, email_md5
      (Mailchimp's subscriber_hash: DELETE .../members/{hash}/actions/delete-permanent)
      and each customer_id they could have been exported under (Braze's
      external_id: /users/delete). Erasure identifiers exist nowhere downstream
      by design (no mart may hold an erased person), so this feed reads the hash
      list where it is made, stg_erasure__identifiers.
    - sync_action 'unsubscribe': an email the project knows but may not mail
      (fct_contactability), with the suppression reason; email in clear, since
      the person still exists.
    The Braze external_id is today's customer_id: once a persistent external id
    map exists, it should be read from there.
-#}

with

erased as (
    select
        identifier_sha256,
        email_md5,
        customer_id,
        identifier_type
    from {{ ref('stg_erasure__identifiers') }}
    where identifier_type in ('email', 'contact_id')
),

erased_people as (
    -- one row per erased email, with every customer id they could have held
    select
        'delete' as sync_action,
        'erased' as reason,
        cast(null as varchar) as email,
        emails.identifier_sha256 as email_sha256,
        emails.email_md5,
        emails.customer_id as external_id
    from erased as emails
    where emails.identifier_type = 'email'
    union all
    select
        'delete' as sync_action,
        'erased' as reason,
        cast(null as varchar) as email,
        cast(null as varchar) as email_sha256,
        cast(null as varchar) as email_md5,
        contacts.customer_id as external_id
    from erased as contacts
    where contacts.identifier_type = 'contact_id'
),

unsubscribed as (
    select
        'unsubscribe' as sync_action,
        suppression_reason as reason,
        email,
        sha256(email) as email_sha256,
        md5(email) as email_md5,
        customer_id as external_id
    from {{ ref('fct_contactability') }}
    where not is_contactable
),

deletions as (
    select * from erased_people
    union all
    select * from unsubscribed
)

select
    md5(sync_action || '|' || coalesce(email_sha256, '') || '|' || coalesce(external_id, '')) as deletion_id,
    sync_action,
    reason,
    email,
    email_sha256,
    email_md5,
    external_id,
    {{ as_of_timestamp() }} as as_of_at
from deletions
