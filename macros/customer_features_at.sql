{% macro customer_features_at(cutoffs, customers=none, at=none) %}
    {#- Customer features as they were at each cut-off: one row per customer and
        cutoff_at, for customers first seen before it. `cutoffs` is a relation
        (a CTE name or a ref) with a column cutoff_at, one row per cut-off.
        Each feature family has its own macro and reads only events strictly
        before the cut-off, so a snapshot never sees its own future; the same
        code serves fct_customer_features (one cut-off, as_of_date) and the
        training snapshots of the ML models (several past cut-offs).
        `customers` (a relation with a column customer_id), when given, limits
        the rows to those customers and the events read to theirs (the hourly
        refresh, macros/customer_features_refresh.sql). `at` (SQL of one constant
        time), when given, is every cut-off of `cutoffs` (int_customer_features:
        as_of): the events of part of a day are then found by constants DuckDB
        filters on while it scans (events_rolled_to_days_rows). -#}
{%- set shared_web_rows = 'changed_web_rows' if customers else none %}
{%- set calendar = customer_calendar_features(
    'all_families', 'all_families.last_order_at', 'all_families.usual_open_hour_utc'
) %}
with

population as (
    {{ customer_population_at(cutoffs, customers) | indent(4) }}
),
{%- if customers %}

-- the customers' web rows, read once for the two families that use them (web
-- features, top category): each read them itself, two scans of the web rollup
-- and the events of the cut-off's day in every hourly refresh
changed_web_rows as {{ cte_hint(true) }} (
    {%- set distinct_cutoffs = '(select distinct cutoff_at from ' ~ cutoffs ~ ')' %}
    {{ events_rolled_to_days_rows('web', distinct_cutoffs, customers, at) | indent(4) }}
),
{%- endif %}

-- the families in a chain: each adds its columns to every column of the one
-- before (carry), so each population row goes through them in one pass and
-- meets only the families' aggregates. Joined at the end on (customer_id,
-- cutoff_at), four hash tables of every population row had to be held at
-- once: int_training_snapshots at 1,000,000 contacts failed alone at 1.5 and
-- 2 GB, and computed one family after the other (materialized) it still ran
-- out of memory in one full build in four. The chain gives the same rows and
-- alone at 2 GB takes 17.0 s where the join took 29.0 s, spilling 406 MiB
-- instead of 2,389 MiB; it completes at 1 to 3 GB, not at 500 MB, where the
-- join did (docs/operations.md, issue 15)
order_features as (
    {{ customer_order_features_at('population', customers, cutoffs, carry=true) | indent(4) }}
),

email_features as (
    {{ customer_email_features_at('order_features', customers, cutoffs, carry=true, at=at) | indent(4) }}
),

web_features as (
    {{ customer_web_features_at('email_features', customers, cutoffs, carry=true, at=at, rows=shared_web_rows) | indent(4) }}
),

all_families as (
    {{ customer_top_category_at('web_features', customers, cutoffs, carry=true, at=at, rows=shared_web_rows) | indent(4) }}
)

select
    all_families.customer_id,
    all_families.cutoff_at,
    {%- for column in customer_feature_families() %}
    {{ calendar.get(column, 'all_families.' ~ column) }} as {{ column }},
    {%- endfor %}
    {{ quote_literal(var("base_currency")) }} as currency
from all_families
{% endmacro %}

{% macro customer_feature_families() %}
    {#- The columns of customer_features_at between cutoff_at and currency, in order -#}
    {%- set columns = [
        'order_count', 'orders_90d', 'orders_180d', 'cancelled_order_count', 'first_order_at', 'last_order_at',
        'recency_days', 'monetary_value', 'returned_value', 'average_order_value', 'mean_days_between_orders',
        'tenure_days',
    ] %}
    {%- for days in [30, 90] %}
    {%- for kind in ['emails_sent', 'emails_delivered', 'emails_opened', 'emails_clicked', 'open_rate', 'click_rate'] %}
    {%- do columns.append(kind ~ '_' ~ days ~ 'd') %}
    {%- endfor %}
    {%- endfor %}
    {%- do columns.extend([
        'last_open_at', 'last_click_at', 'last_negative_email_event_at', 'usual_open_hour_utc', 'usual_open_hour_local',
        'web_sessions_30d', 'web_sessions_90d', 'product_views_30d', 'carts_30d', 'last_web_event_at', 'top_category',
    ]) %}
    {{ return(columns) }}
{% endmacro %}

{% macro customer_calendar_features(population, last_order_at, usual_open_hour_utc) %}
    {#- The features that move with the cut-off alone, whole days counted from a
        stored time (SQL of each column, by name): what the hourly refresh
        computes again for the customers whose events did not change -#}
    {{ return({
        'recency_days': dbt.datediff(last_order_at, population ~ '.cutoff_at', 'day'),
        'tenure_days': dbt.datediff(population ~ '.tenure_start_at', population ~ '.cutoff_at', 'day'),
        'usual_open_hour_local': 'hour(' ~ utc_to_local(
            dbt.dateadd('hour', usual_open_hour_utc, 'cast(' ~ population ~ '.cutoff_at as date)'),
            population ~ '.time_zone'
        ) ~ ')',
    }) }}
{% endmacro %}
