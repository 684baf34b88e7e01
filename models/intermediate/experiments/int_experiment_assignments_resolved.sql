{{ config(materialized='table') }}

{#-
    One row per experiment and customer: every assignment candidate
    (int_experiment_assignments_unioned) resolved to the customer's one
    variant, with exposure time (the first time the HTTP API served it, when
    it logged an exposure) and global-holdout flag. A customer seen in two
    variants of one experiment is excluded (counted in rpt_experiment_results).
    fct_experiment_assignments publishes it.
-#}

with

candidates as (
    select * from {{ ref('int_experiment_assignments_unioned') }}
),

holdout as (
    select customer_id
    from candidates
    where assignment_source = 'global_holdout' and variant = 'holdout'
),

per_customer as (
    select
        experiment_id,
        customer_id,
        min(variant) as variant,
        -- one variant exactly when the least and the greatest agree (a distinct count took a third of the model)
        max(variant) as last_variant,
        -- the API's candidates say when the variant was first served; the others when it was assigned
        coalesce(min(assigned_at) filter (where assignment_source != 'api'), min(assigned_at)) as assigned_at,
        min(assigned_at) filter (where assignment_source = 'api') as first_served_at,
        coalesce(min(assignment_source) filter (where assignment_source != 'api'), 'api') as assignment_source
    from candidates
    group by experiment_id, customer_id
)

select
    md5(per_customer.experiment_id || '|' || per_customer.customer_id) as assignment_id,
    per_customer.experiment_id,
    per_customer.customer_id,
    per_customer.variant,
    per_customer.assigned_at,
    -- exposure: the first time the API served the variant (never before the
    -- assignment), else the assignment until activation records sends
    case
        when per_customer.first_served_at is null then per_customer.assigned_at
        else greatest(per_customer.first_served_at, per_customer.assigned_at)
    end as exposed_at,
    per_customer.assignment_source,
    holdout.customer_id is not null as is_global_holdout
from per_customer
left join holdout
    on per_customer.customer_id = holdout.customer_id
-- a customer seen in two variants of one experiment is excluded (counted in rpt_experiment_results)
where per_customer.variant = per_customer.last_variant
