{#-
    Identifiers that would join an implausible number of people (more than
    the var identity_max_people_per_identifier): quarantined, they link nobody
    (see int_identifiers_quarantined). CRM emails shared by that many contacts
    are listed too, not quarantined (rule 1 merges them: fix the CRM).
    Emails are never listed in clear, only as their SHA-256; the contact id of
    a person who asked to be erased is not listed either.
-#}

with

listed as (
    select * from {{ ref('int_identifiers_quarantined') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
),

erased as (
    select * from {{ ref('int_erased_customers') }}
),

erased_identifiers as (
    select
        identities.identifier_type,
        identities.identifier_value
    from identities
    inner join erased
        on identities.customer_id = erased.customer_id
),

flagged as (
    select
        listed.*,
        erased_identifiers.identifier_value is not null as is_erased
    from listed
    left join erased_identifiers
        on listed.identifier_type = erased_identifiers.identifier_type
        and listed.identifier_value = erased_identifiers.identifier_value
)

select
    md5(identifier_type || ':' || identifier_value) as quarantined_identifier_id,
    identifier_type,
    case
        when identifier_type != 'email' and not is_erased then identifier_value
    end as identifier_value,
    {{ sha256_hex('identifier_value') }} as identifier_sha256,
    people_linked,
    rows_affected,
    rows_unattributed,
    is_quarantined,
    reason,
    cast({{ number_var('identity_max_people_per_identifier') }} as bigint) as max_people_per_identifier,
    {{ as_of_timestamp() }} as as_of_at
from flagged
