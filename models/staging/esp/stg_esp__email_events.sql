with

email_events as (
    select * from {{ ref('base_esp__email_events') }}
)

select
    event_id,
    email,
    campaign_id,
    event_type,
    occurred_at,
    url,
    regexp_extract(url, '/p/([A-Za-z0-9_-]+)', 1) as url_product_id
from email_events
where rejection_reason is null and not is_duplicate
