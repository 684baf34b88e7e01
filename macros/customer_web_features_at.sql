{% macro customer_web_features_at(population) %}
    {#- Web activity features of each row of `population` (a CTE name or
        relation with one row per customer_id and cutoff_at): sessions in the
        trailing 30 and 90 days before the cut-off, product views and
        add-to-carts in the trailing 30 days, and the last web event. Only
        events attributed to a customer count. -#}
with

population_cutoffs as (
    select distinct cutoff_at
    from {{ population }}
),

web_events as (
    select * from {{ ref('int_web_events_sessionized') }}
),

web_totals as (
    select
        population_cutoffs.cutoff_at,
        web_events.customer_id,
        count(distinct web_events.session_id) filter (
            where web_events.occurred_at >= population_cutoffs.cutoff_at - interval '30 days'
        ) as web_sessions_30d,
        count(distinct web_events.session_id) filter (
            where web_events.occurred_at >= population_cutoffs.cutoff_at - interval '90 days'
        ) as web_sessions_90d,
        count(*) filter (
            where web_events.event_type = 'product_view'
            and web_events.occurred_at >= population_cutoffs.cutoff_at - interval '30 days'
        ) as product_views_30d,
        count(*) filter (
            where web_events.event_type = 'add_to_cart'
            and web_events.occurred_at >= population_cutoffs.cutoff_at - interval '30 days'
        ) as carts_30d,
        max(web_events.occurred_at) as last_web_event_at
    from web_events
    inner join population_cutoffs
        on web_events.occurred_at < population_cutoffs.cutoff_at
    where web_events.customer_id is not null
    group by population_cutoffs.cutoff_at, web_events.customer_id
)

select
    population.customer_id,
    population.cutoff_at,
    coalesce(web_totals.web_sessions_30d, 0) as web_sessions_30d,
    coalesce(web_totals.web_sessions_90d, 0) as web_sessions_90d,
    coalesce(web_totals.product_views_30d, 0) as product_views_30d,
    coalesce(web_totals.carts_30d, 0) as carts_30d,
    web_totals.last_web_event_at
from {{ population }} as population
left join web_totals
    on population.customer_id = web_totals.customer_id
    and population.cutoff_at = web_totals.cutoff_at
{% endmacro %}
