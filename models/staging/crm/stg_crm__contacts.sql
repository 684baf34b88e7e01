with

contacts as (
    select * from {{ ref('base_crm__contacts') }}
)

select
    contact_id,
    email,
    has_invalid_email,
    first_name,
    last_name,
    country_code,
    country_raw,
    time_zone,
    created_at,
    updated_at
from contacts
where rejection_reason is null and not is_duplicate
