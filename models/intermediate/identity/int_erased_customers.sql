{#-
    People who asked to be erased: every customer with an email whose SHA-256
    is requested (int_erasure_requests). The whole person goes, with every
    identifier stitched to them.
-#}

with

requests as (
    select * from {{ ref('int_erasure_requests') }}
),

identities as (
    select * from {{ ref('int_identities_stitched') }}
)

select distinct identities.customer_id
from identities
inner join requests
    on {{ sha256_hex('identities.identifier_value') }} = requests.email_sha256
where identities.identifier_type = 'email'
