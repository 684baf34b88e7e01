{#-
    Every well-formed API exposure (stg_api__exposures) with the customer its
    ESP external id belongs to now, through the identity map
    (int_customer_external_ids): an id merged into another person's id
    resolves to the live customer holding both. An id never issued
    (unknown_external_id), an erased person's id (erased_external_id) or an id
    whose identifier left the data (dormant_external_id) resolves to no one:
    the row keeps its rejection_reason and no customer, and an erased person's
    row keeps nothing else. int_experiment_exposures_resolved feeds the kept
    rows to the experiments.
-#}

with

exposures as (
    select * from {{ ref('stg_api__exposures') }}
),

external_ids as (
    select
        external_id,
        customer_id,
        erased_at
    from {{ ref('int_customer_external_ids') }}
),

erased as (
    select customer_id from {{ ref('int_erased_customers') }}
),

joined as (
    select
        exposures.*,
        external_ids.external_id is not null as is_issued,
        external_ids.erased_at is not null or erased.customer_id is not null as is_erased,
        external_ids.customer_id as holder_customer_id
    from exposures
    left join external_ids
        on exposures.external_id = external_ids.external_id
    left join erased
        on external_ids.customer_id = erased.customer_id
),

classified as (
    select
        *,
        case
            when not is_issued then 'unknown_external_id'
            when is_erased then 'erased_external_id'
            when holder_customer_id is null then 'dormant_external_id'
        end as rejection_reason
    from joined
)

select
    exposure_id,
    experiment_id,
    case when not is_erased then external_id end as external_id,
    case when rejection_reason is null then holder_customer_id end as customer_id,
    case when not is_erased then variant end as variant,
    case when not is_erased then exposed_at end as exposed_at,
    case when not is_erased then endpoint end as endpoint,
    case when not is_erased then concat_ws('|', experiment_id, external_id, exposed_at) end as raw_key,
    case
        when is_erased then '{"erased": true}'
        when rejection_reason is not null
            then {{ json_object([
                ('file_name', 'file_name'),
                ('line_number', 'line_number'),
                ('experiment_id', 'experiment_id'),
                ('external_id', 'external_id'),
                ('variant', 'variant'),
                ('exposed_at', 'cast(exposed_at as ' ~ dbt.type_string() ~ ')'),
                ('endpoint', 'endpoint'),
            ]) | indent(16) }}
    end as raw_record,
    rejection_reason
from classified
