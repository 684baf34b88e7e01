{% macro customer_web_features_at(population, customers=none, cutoffs=none, carry=false, at=none, rows=none) %}
    {#- Web activity features of each row of `population` (a CTE name or
        relation with one row per customer_id and cutoff_at): sessions in the
        trailing 30 and 90 days before the cut-off, product views and
        add-to-carts in the trailing 30 days, and the last web event. Only
        events attributed to a customer count.
        `customers`, `cutoffs`, `carry` and `at`: as for every family (macro
        feature_family_keys, macros/customer_population_at.sql). `rows`: a
        relation holding the web rows already (events_rolled_to_days_rows for
        these cut-offs and customers), read instead of the rollup. -#}
with

population_cutoffs as (
    select distinct cutoff_at
    from {{ cutoffs or population }}
),

-- the rollup's rows of whole days before each cut-off and the events of the
-- other days (macros/events_rolled_to_days.sql); read where it is used, not
-- copied (not_materialized: a copy of every event was most of the features'
-- time at 1,000,000 contacts), but for a few customers (the hourly refresh),
-- whose rows are cheaper to copy than to find again in every table
web_rows as {{ not_materialized() if not customers }} (
    {%- if rows %}
    select * from {{ rows }}
    {%- else %}
    {{ events_rolled_to_days_rows('web', 'population_cutoffs', customers, at) | indent(4) }}
    {%- endif %}
),

-- one row per cut-off, customer and session with events in the trailing 90
-- days: its last event before the cut-off, its product views and carts in the
-- trailing 30 days. A session has an event in a trailing window exactly when
-- its last event before the cut-off falls in it, so counting these rows gives
-- the distinct sessions with plain aggregates (one count(distinct) with a
-- filter per window, over the whole history, was the first part of the
-- features to run out of memory: 100,000 contacts at a 160MB limit, issue 15)
web_sessions as (
    select
        cutoff_at,
        customer_id,
        session_key,
        sum(case when row_at >= cutoff_at - interval '30 days' then product_views else 0 end) as product_views_30d,
        sum(case when row_at >= cutoff_at - interval '30 days' then carts else 0 end) as carts_30d,
        max(last_event_at) as last_event_at
    from web_rows
    where last_event_at >= cutoff_at - interval '90 days'
    group by cutoff_at, customer_id, session_key
),

web_totals as (
    select
        cutoff_at,
        customer_id,
        -- events without a session count for views and carts only, as count(distinct) would
        count(session_key) filter (where last_event_at >= cutoff_at - interval '30 days') as web_sessions_30d,
        count(session_key) as web_sessions_90d,
        cast(sum(product_views_30d) as bigint) as product_views_30d,
        cast(sum(carts_30d) as bigint) as carts_30d
    from web_sessions
    group by cutoff_at, customer_id
),

-- the last web event comes from the whole history before the cut-off
web_last_events as (
    select
        cutoff_at,
        customer_id,
        max(last_event_at) as last_web_event_at
    from web_rows
    group by cutoff_at, customer_id
)

select
    {{- feature_family_keys(carry) }}
    coalesce(web_totals.web_sessions_30d, 0) as web_sessions_30d,
    coalesce(web_totals.web_sessions_90d, 0) as web_sessions_90d,
    coalesce(web_totals.product_views_30d, 0) as product_views_30d,
    coalesce(web_totals.carts_30d, 0) as carts_30d,
    web_last_events.last_web_event_at
from {{ population }} as population
left join web_totals
    on population.customer_id = web_totals.customer_id
    and population.cutoff_at = web_totals.cutoff_at
left join web_last_events
    on population.customer_id = web_last_events.customer_id
    and population.cutoff_at = web_last_events.cutoff_at
{% endmacro %}
