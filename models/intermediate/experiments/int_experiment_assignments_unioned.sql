{{ config(materialized='table') }}

{#-
    Every assignment candidate: assignments made elsewhere (resolved to
    customers through the identity map), the project's own hash-based
    assignments, the global holdout, and the variants the HTTP API served
    (int_experiment_exposures_resolved, assignment_source 'api': the first
    exposure; int_experiment_assignments_resolved takes the exposure time
    from them). A customer may appear twice in one experiment here;
    fct_experiment_assignments excludes those.
-#}

with

config as (
    select * from {{ ref('int_experiment_config') }}
),

experiments as (
    select distinct
        experiment_id,
        assigned_by,
        starts_at,
        ends_at,
        salt,
        is_global_holdout
    from config
),

customers as (
    select
        customer_id,
        first_seen_at
    from {{ ref('int_customers_unified') }}
    where is_known
),

external_raw as (
    select * from {{ ref('stg_experiments__assignments') }}
),

external_attributed as (
    {{ attribute_to_customers('external_raw', contact_id='contact_id', email='email') }}
),

external_assignments as (
    select
        external_attributed.experiment_id,
        external_attributed.customer_id,
        external_attributed.variant,
        min(external_attributed.assigned_at) as assigned_at,
        'external' as assignment_source
    from external_attributed
    inner join experiments
        on external_attributed.experiment_id = experiments.experiment_id
        and experiments.assigned_by = 'external'
    -- only customers still known (erased people are gone: int_customers_unified)
    inner join customers
        on external_attributed.customer_id = customers.customer_id
    group by external_attributed.experiment_id, external_attributed.customer_id, external_attributed.variant
),

-- a uniform number in [0, 1) per experiment and customer: md5 is stable
-- across engines and versions, so assignment is sticky
buckets as (
    select
        experiments.experiment_id,
        experiments.is_global_holdout,
        customers.customer_id,
        greatest(customers.first_seen_at, coalesce(experiments.starts_at, customers.first_seen_at)) as assigned_at,
        {{ hex_to_bigint(
            "left(md5(experiments.experiment_id || ':' || experiments.salt || ':' || customers.customer_id), 8)"
        ) }} / 4294967296.0 as bucket
    from experiments
    cross join customers
    where experiments.assigned_by = 'project'
        and customers.first_seen_at < coalesce(experiments.ends_at, {{ as_of_timestamp() }})
),

hashed as (
    select
        buckets.experiment_id,
        buckets.customer_id,
        config.variant,
        buckets.assigned_at,
        buckets.is_global_holdout
    from buckets
    inner join config
        on buckets.experiment_id = config.experiment_id
        and buckets.bucket >= config.bucket_lower
        and buckets.bucket < config.bucket_upper
    where buckets.assigned_at < {{ as_of_timestamp() }}
),

holdout as (
    select customer_id
    from hashed
    where is_global_holdout and variant = 'holdout'
),

project_assignments as (
    select
        hashed.experiment_id,
        hashed.customer_id,
        hashed.variant,
        hashed.assigned_at,
        case when hashed.is_global_holdout then 'global_holdout' else 'project' end as assignment_source
    from hashed
    -- holdout customers take part in no project experiment but the holdout itself
    where hashed.is_global_holdout
        or not exists (
            select 1
            from holdout
            where holdout.customer_id = hashed.customer_id
        )
),

-- what the API served: a candidate like any other (two variants for one
-- customer exclude them); a global-holdout customer takes part in no other
-- experiment, whatever was served
api_assignments as (
    select
        exposures.experiment_id,
        exposures.customer_id,
        exposures.variant,
        min(exposures.exposed_at) as assigned_at,
        'api' as assignment_source
    from {{ ref('int_experiment_exposures_resolved') }} as exposures
    inner join experiments
        on exposures.experiment_id = experiments.experiment_id
    left join holdout
        on exposures.customer_id = holdout.customer_id
    where exposures.rejection_reason is null
        and (experiments.is_global_holdout or holdout.customer_id is null)
    group by exposures.experiment_id, exposures.customer_id, exposures.variant
)

select * from external_assignments
union all
select * from project_assignments
union all
select * from api_assignments
