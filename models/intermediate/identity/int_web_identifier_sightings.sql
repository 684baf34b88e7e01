{{ config(materialized='table') }}

{#-
    One row per combination of identifiers seen together on accepted web
    events (anonymous id, contact id, email; each may be null), with its first
    event and its number of events. The identity rules take a first sighting
    or count events, never more of a web event: int_identities_stitched and
    int_identifiers_quarantined read these rows instead of grouping the events
    each (a million contacts' 41 M web events hold about 2 M combinations,
    grouped once a run instead of twice).
-#}

select
    anonymous_id,
    contact_id,
    email,
    min(occurred_at) as first_seen_at,
    count(*) as events
from {{ ref('stg_web__events') }}
group by anonymous_id, contact_id, email
