-- Customers in the global holdout get no personalisation: default segment
-- and tier, the Bestsellers category, overall bestsellers, the global send hour, and no
-- triggered emails.
with

holdout as (
    select distinct customer_id
    from {{ ref('fct_experiment_assignments') }}
    where is_global_holdout
),

personalised_holdout as (
    select personalization.customer_id
    from {{ ref('fct_customer_personalization') }} as personalization
    inner join holdout
        on personalization.customer_id = holdout.customer_id
    where personalization.rfm_segment != 'default'
        or personalization.action_tier != 'default'
        or personalization.top_category != 'Bestsellers'
        or personalization.recommendation_source != 'bestsellers'
        or personalization.send_time_source != 'global'
),

triggered_holdout as (
    select audiences.customer_id
    from {{ ref('fct_trigger_audiences') }} as audiences
    inner join holdout
        on audiences.customer_id = holdout.customer_id
)

select customer_id from personalised_holdout
union all
select customer_id from triggered_holdout
