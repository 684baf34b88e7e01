with

campaigns as (
    select * from {{ ref('base_esp__campaigns') }}
)

select
    campaign_id,
    campaign_name,
    campaign_type,
    sent_at
from campaigns
where rejection_reason is null and not is_duplicate
