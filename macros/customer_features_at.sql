{% macro customer_features_at(cutoffs) %}
    {#- Customer features as they were at each cut-off: one row per customer and
        cutoff_at, for customers first seen before it. `cutoffs` is a relation
        (a CTE name or a ref) with a column cutoff_at, one row per cut-off.
        Each feature family has its own macro and reads only events strictly
        before the cut-off, so a snapshot never sees its own future; the same
        code serves fct_customer_features (one cut-off, as_of_date) and the
        training snapshots of the ML models (several past cut-offs). -#}
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
    order_features.* exclude (customer_id, cutoff_at),
    date_diff('day', population.tenure_start_at, population.cutoff_at) as tenure_days,
    email_features.* exclude (customer_id, cutoff_at),
    hour(
        timezone(
            population.time_zone,
            cast(population.cutoff_at::date + to_hours(email_features.usual_open_hour_utc) as timestamptz)
        )
    ) as usual_open_hour_local,
    web_features.* exclude (customer_id, cutoff_at),
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
