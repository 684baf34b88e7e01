with

assignments as (
    select * from {{ ref('base_experiments__assignments') }}
)

select
    md5(
        concat_ws('|', experiment_id, contact_id, email, variant, cast(assigned_at as {{ dbt.type_string() }}))
    ) as assignment_id,
    experiment_id,
    contact_id,
    email,
    variant,
    assigned_at
from assignments
where rejection_reason is null and not is_duplicate
