{#-
    Who gets which triggered email, with what in it. From int_trigger_candidates:
    only contactable customers outside the global holdout; a customer gets each
    trigger at most once per cooldown_days (the earliest wins, then the next
    one at least a cool-down later); at most the seed's caps per calendar day
    and per ISO week across triggers, by priority. is_active: fired, not yet
    expired, and (for cart, browse and win-back) no order since.
-#}

with recursive

rules as (
    select * from {{ ref('trigger_rules') }}
),

caps as (
    select
        max(max_triggers) filter (where period = 'day') as per_day,
        max(max_triggers) filter (where period = 'week') as per_week
    from {{ ref('trigger_frequency_caps') }}
),

contactable as (
    select customer_id
    from {{ ref('fct_contactability') }}
    where is_primary_email and is_contactable
),

holdout as (
    select distinct customer_id
    from {{ ref('fct_experiment_assignments') }}
    where is_global_holdout
),

candidates as (
    select
        int_trigger_candidates.*,
        row_number() over (
            partition by int_trigger_candidates.customer_id, int_trigger_candidates.trigger_type
            order by int_trigger_candidates.fires_at, int_trigger_candidates.candidate_id
        ) as sequence_number
    from {{ ref('int_trigger_candidates') }} as int_trigger_candidates
    inner join contactable
        on int_trigger_candidates.customer_id = contactable.customer_id
    where
        not exists (
            select 1
            from holdout
            where holdout.customer_id = int_trigger_candidates.customer_id
        )
),

-- cool-down: walk each customer's candidates of one trigger in time order,
-- keeping one only when the last kept one is at least a cool-down earlier
cooled (customer_id, trigger_type, sequence_number, candidate_id, last_kept_at, is_kept) as (
    select
        customer_id,
        trigger_type,
        sequence_number,
        candidate_id,
        fires_at as last_kept_at,
        true as is_kept
    from candidates
    where sequence_number = 1
    union all
    select
        candidates.customer_id,
        candidates.trigger_type,
        candidates.sequence_number,
        candidates.candidate_id,
        case
            when candidates.fires_at >= {{ dbt.dateadd('day', 'rules.cooldown_days', 'cooled.last_kept_at') }}
                then candidates.fires_at
            else cooled.last_kept_at
        end as last_kept_at,
        candidates.fires_at >= {{ dbt.dateadd('day', 'rules.cooldown_days', 'cooled.last_kept_at') }} as is_kept
    from cooled
    inner join candidates
        on cooled.customer_id = candidates.customer_id
        and cooled.trigger_type = candidates.trigger_type
        and cooled.sequence_number + 1 = candidates.sequence_number
    inner join rules
        on candidates.trigger_type = rules.trigger_type
),

kept as (
    select
        candidates.*,
        rules.priority
    from candidates
    inner join cooled
        on candidates.candidate_id = cooled.candidate_id
        and cooled.is_kept
    inner join rules
        on candidates.trigger_type = rules.trigger_type
),

day_capped as (
    select kept.*
    from kept
    cross join caps
    qualify
        row_number() over (
            partition by kept.customer_id, cast(kept.fires_at as date)
            order by kept.priority asc, kept.fires_at asc, kept.candidate_id asc
        ) <= caps.per_day
),

week_capped as (
    select day_capped.*
    from day_capped
    cross join caps
    qualify
        row_number() over (
            partition by day_capped.customer_id, date_trunc('week', day_capped.fires_at)
            order by day_capped.priority asc, day_capped.fires_at asc, day_capped.candidate_id asc
        ) <= caps.per_week
),

products as (
    select * from {{ ref('dim_products') }}
)

select
    week_capped.candidate_id as trigger_id,
    week_capped.customer_id,
    week_capped.trigger_type,
    week_capped.fires_at as triggered_at,
    week_capped.expires_at,
    week_capped.event_at,
    week_capped.converted_at,
    week_capped.fires_at < {{ as_of_timestamp() }}
    and week_capped.expires_at > {{ as_of_timestamp() }}
    and week_capped.converted_at is null as is_active,
    week_capped.priority,
    -- the payload the email needs
    week_capped.product_id,
    products.product_name,
    products.product_url,
    products.image_url,
    products.price,
    products.category,
    products.currency
from week_capped
left join products
    on week_capped.product_id = products.product_id
