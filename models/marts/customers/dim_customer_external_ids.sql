{#-
    The persistent ids ESPs key profiles by (Braze's and Klaviyo's
    external_id), published from the identity map int_customer_external_ids
    without the hash of the anchoring identifier: one row per id ever issued,
    active, merged, dormant or erased (a tombstone: the id and erased_at only).
-#}

with

external_ids as (
    select * from {{ ref('int_customer_external_ids') }}
)

select
    external_id,
    customer_id,
    current_external_id,
    merged_into_external_id,
    issued_at,
    merged_at,
    erased_at,
    is_active
from external_ids
