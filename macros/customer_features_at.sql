{% macro customer_features_at(cutoffs) %}
    {#- Customer features as they were at each cut-off: one row per customer and
        cutoff_at, for customers first seen before it. `cutoffs` is a relation
        (a CTE name or a ref) with a column cutoff_at, one row per cut-off.
        Each feature family has its own macro and reads only events strictly
        before the cut-off, so a snapshot never sees its own future; the same
        code serves fct_customer_features (one cut-off, as_of_date) and the
        training snapshots of the ML models (several past cut-offs). -#}
{%- set order_columns = [
    'order_count', 'orders_90d', 'orders_180d', 'cancelled_order_count', 'first_order_at', 'last_order_at',
    'recency_days', 'monetary_value', 'returned_value', 'average_order_value', 'mean_days_between_orders',
] %}
{%- set email_columns = [] %}
{%- for days in [30, 90] %}
{%- for kind in ['emails_sent', 'emails_delivered', 'emails_opened', 'emails_clicked', 'open_rate', 'click_rate'] %}
{%- do email_columns.append(kind ~ '_' ~ days ~ 'd') %}
{%- endfor %}
{%- endfor %}
{%- do email_columns.extend(['last_open_at', 'last_click_at', 'last_negative_email_event_at', 'usual_open_hour_utc']) %}
{%- set web_columns = ['web_sessions_30d', 'web_sessions_90d', 'product_views_30d', 'carts_30d', 'last_web_event_at'] %}
with

population as (
    {{ customer_population_at(cutoffs) | indent(4) }}
),

order_features as (
    {{ customer_order_features_at('population') | indent(4) }}
),

email_features as (
    {{ customer_email_features_at('population') | indent(4) }}
),

web_features as (
    {{ customer_web_features_at('population') | indent(4) }}
),

category_features as (
    {{ customer_top_category_at('population') | indent(4) }}
)

-- each family has one row per population row
select
    population.customer_id,
    population.cutoff_at,
    {%- for column in order_columns %}
    order_features.{{ column }},
    {%- endfor %}
    {{ dbt.datediff('population.tenure_start_at', 'population.cutoff_at', 'day') }} as tenure_days,
    {%- for column in email_columns %}
    email_features.{{ column }},
    {%- endfor %}
    -- the usual open hour (UTC) on the cut-off's day, read on the customer's clock
    hour(
        {{ utc_to_local(
            dbt.dateadd('hour', 'email_features.usual_open_hour_utc', 'cast(population.cutoff_at as date)'),
            'population.time_zone'
        ) }}
    ) as usual_open_hour_local,
    {%- for column in web_columns %}
    web_features.{{ column }},
    {%- endfor %}
    category_features.top_category,
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
