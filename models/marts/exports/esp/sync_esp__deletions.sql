{#-
    What a reverse-ETL tool in delete mode (or a script) must delete or
    unsubscribe in each ESP, one row per person and action (sync_action):
    - sync_action 'delete', reason 'erased': a person who asked to be erased, by
      hashes only (their email is kept nowhere):
      - email_sha256 and email_md5 (Mailchimp's subscriber_hash: DELETE
        .../members/{hash}/actions/delete-permanent), with each customer_id the
        person could have been exported under as external_id (read where the
        hashes are made, stg_erasure__identifiers: no mart may hold an erased
        person);
      - every external_id the persistent identity map issued them (Braze's and
        Klaviyo's external_id: /users/delete, data-privacy deletion), read from
        its tombstones (dim_customer_external_ids.erased_at), which include ids
        that are no hash of an identifier (ids re-issued after a merge).
    - sync_action 'unsubscribe': an email the project knows but may not mail
      (fct_contactability), with the suppression reason and the person's
      external_id; email in clear, since the person still exists. Every such
      email is listed on every build, whether or not it was ever exported:
      unsubscribing an address an ESP holds as unsubscribed is a no-op, and
      row_hash/updated_at say which rows are new since the last sync.
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
        cast(null as {{ dbt.type_string() }}) as email,
        emails.identifier_sha256 as email_sha256,
        emails.email_md5,
        emails.customer_id as external_id
    from erased as emails
    where emails.identifier_type = 'email'
    union all
    select
        'delete' as sync_action,
        'erased' as reason,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as email_sha256,
        cast(null as {{ dbt.type_string() }}) as email_md5,
        contacts.customer_id as external_id
    from erased as contacts
    where contacts.identifier_type = 'contact_id'
),

tombstones as (
    -- ids the identity map issued to people since erased, not already named above
    select
        'delete' as sync_action,
        'erased' as reason,
        cast(null as {{ dbt.type_string() }}) as email,
        cast(null as {{ dbt.type_string() }}) as email_sha256,
        cast(null as {{ dbt.type_string() }}) as email_md5,
        external_id
    from {{ ref('dim_customer_external_ids') }}
    where erased_at is not null
        and external_id not in (
            select erased_people.external_id
            from erased_people
            where erased_people.external_id is not null
        )
),

external_ids as (
    select
        customer_id,
        external_id
    from {{ ref('dim_customer_external_ids') }}
    where is_active
),

unsubscribed as (
    select
        'unsubscribe' as sync_action,
        contactability.suppression_reason as reason,
        contactability.email,
        {{ sha256_hex('contactability.email') }} as email_sha256,
        md5(contactability.email) as email_md5,
        external_ids.external_id
    from {{ ref('fct_contactability') }} as contactability
    left join external_ids
        on contactability.customer_id = external_ids.customer_id
    where not contactability.is_contactable
),

deletions as (
    select * from erased_people
    union all
    select * from tombstones
    union all
    select * from unsubscribed
),

content as (
    select
        md5(sync_action || '|' || coalesce(email_sha256, '') || '|' || coalesce(external_id, '')) as deletion_id,
        sync_action,
        reason,
        email,
        email_sha256,
        email_md5,
        external_id
    from deletions
)

{{ select_with_change_tracking('content', 'deletion_id') }}
