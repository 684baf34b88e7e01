with

exposures as (
    select * from {{ ref('base_api__exposures') }}
)

select
    md5(
        concat_ws('|', experiment_id, external_id, variant, cast(exposed_at as {{ dbt.type_string() }}), endpoint)
    ) as exposure_id,
    experiment_id,
    external_id,
    variant,
    exposed_at,
    endpoint,
    file_name,
    line_number
from exposures
where rejection_reason is null and not is_duplicate
