{{ config(materialized='table') }}

{#-
    Every well-formed API exposure (int_api_exposures_attributed) checked
    against the experiments: an experiment int_experiment_config does not
    list (unknown_experiment_id) or a variant that is no arm of it
    (unknown_variant) is rejected, like an external id that resolves to no
    one. Kept rows (rejection_reason null) are assignment candidates and
    exposure times for int_experiment_assignments_unioned;
    audit_rejected_rows lists the others and audit_row_counts counts both.

    A table, not a view: it reads int_experiment_config, and three models and
    four tests read it (as a view, each reader re-ran its join).
-#}

with

exposures as (
    select * from {{ ref('int_api_exposures_attributed') }}
),

arms as (
    select distinct
        experiment_id,
        variant
    from {{ ref('int_experiment_config') }}
),

experiments as (
    select distinct experiment_id from arms
),

checked as (
    select
        exposures.*,
        coalesce(
            exposures.rejection_reason,
            case
                when experiments.experiment_id is null then 'unknown_experiment_id'
                when arms.variant is null then 'unknown_variant'
            end
        ) as final_rejection_reason
    from exposures
    left join experiments
        on exposures.experiment_id = experiments.experiment_id
    left join arms
        on exposures.experiment_id = arms.experiment_id
        and exposures.variant = arms.variant
)

select
    exposure_id,
    experiment_id,
    external_id,
    case when final_rejection_reason is null then customer_id end as customer_id,
    variant,
    exposed_at,
    endpoint,
    raw_key,
    case
        when rejection_reason is not null then raw_record
        when final_rejection_reason is not null
            then {{ json_object([
                    ('experiment_id', 'experiment_id'),
                    ('external_id', 'external_id'),
                    ('variant', 'variant'),
                    ('exposed_at', 'cast(exposed_at as ' ~ dbt.type_string() ~ ')'),
                    ('endpoint', 'endpoint'),
                ]) }}
    end as raw_record,
    final_rejection_reason as rejection_reason
from checked
