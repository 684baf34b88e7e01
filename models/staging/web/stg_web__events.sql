with

web_events as (
    select * from {{ ref('base_web__events') }}
)

select
    event_id,
    anonymous_id,
    contact_id,
    email,
    event_type,
    product_id,
    occurred_at,
    -- what base_web__events classified the row with: int_web_event_sessions starts over when it changes
    classification_fingerprint
from web_events
where rejection_reason is null and not is_duplicate
