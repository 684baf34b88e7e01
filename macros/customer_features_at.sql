{% macro customer_features_at(cutoffs, customers=none) %}
    {#- Customer features as they were at each cut-off: one row per customer and
        cutoff_at, for customers first seen before it. `cutoffs` is a relation
        (a CTE name or a ref) with a column cutoff_at, one row per cut-off.
        Each feature family has its own macro and reads only events strictly
        before the cut-off, so a snapshot never sees its own future; the same
        code serves fct_customer_features (one cut-off, as_of_date) and the
        training snapshots of the ML models (several past cut-offs).
        `customers` (a relation with a column customer_id), when given, limits
        the rows to those customers and the events read to theirs (the hourly
        refresh, macros/customer_features_refresh.sql). -#}
{%- set restrict = customers is not none %}
{%- set calendar = customer_calendar_features(
    'population', 'order_features.last_order_at', 'email_features.usual_open_hour_utc'
) %}
{%- set families = customer_feature_families() %}
with

population as (
    {{ customer_population_at(cutoffs, customers) | indent(4) }}
),

-- each family computed whole before the join below (materialized): run all at
-- once inside it, their hash tables together did not fit DuckDB's memory limit
-- at 1,000,000 contacts (macros/cross_db/not_materialized.sql)
order_features as {{ materialized() }} (
    {{ customer_order_features_at('population', restrict) | indent(4) }}
),

email_features as {{ materialized() }} (
    {{ customer_email_features_at('population', restrict) | indent(4) }}
),

web_features as {{ materialized() }} (
    {{ customer_web_features_at('population', restrict) | indent(4) }}
),

category_features as {{ materialized() }} (
    {{ customer_top_category_at('population', restrict) | indent(4) }}
)

-- each family has one row per population row
select
    population.customer_id,
    population.cutoff_at,
    {%- for column, family in families.items() %}
    {%- if column in calendar %}
    {{ calendar[column] }} as {{ column }},
    {%- else %}
    {{ family }}.{{ column }},
    {%- endif %}
    {%- endfor %}
    {{ quote_literal(var("base_currency")) }} as currency
from population
inner join order_features
    on population.customer_id = order_features.customer_id
    and population.cutoff_at = order_features.cutoff_at
inner join email_features
    on population.customer_id = email_features.customer_id
    and population.cutoff_at = email_features.cutoff_at
inner join web_features
    on population.customer_id = web_features.customer_id
    and population.cutoff_at = web_features.cutoff_at
inner join category_features
    on population.customer_id = category_features.customer_id
    and population.cutoff_at = category_features.cutoff_at
{% endmacro %}

{% macro customer_feature_families() %}
    {#- The columns of customer_features_at between cutoff_at and currency, in
        order, each with the family (CTE) it comes from -#}
    {%- set families = {} %}
    {%- for column in [
        'order_count', 'orders_90d', 'orders_180d', 'cancelled_order_count', 'first_order_at', 'last_order_at',
        'recency_days', 'monetary_value', 'returned_value', 'average_order_value', 'mean_days_between_orders',
    ] %}
    {%- do families.update({column: 'order_features'}) %}
    {%- endfor %}
    {%- do families.update({'tenure_days': 'population'}) %}
    {%- for days in [30, 90] %}
    {%- for kind in ['emails_sent', 'emails_delivered', 'emails_opened', 'emails_clicked', 'open_rate', 'click_rate'] %}
    {%- do families.update({kind ~ '_' ~ days ~ 'd': 'email_features'}) %}
    {%- endfor %}
    {%- endfor %}
    {%- for column in ['last_open_at', 'last_click_at', 'last_negative_email_event_at', 'usual_open_hour_utc'] %}
    {%- do families.update({column: 'email_features'}) %}
    {%- endfor %}
    {%- do families.update({'usual_open_hour_local': 'email_features'}) %}
    {%- for column in ['web_sessions_30d', 'web_sessions_90d', 'product_views_30d', 'carts_30d', 'last_web_event_at'] %}
    {%- do families.update({column: 'web_features'}) %}
    {%- endfor %}
    {%- do families.update({'top_category': 'category_features'}) %}
    {{ return(families) }}
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
