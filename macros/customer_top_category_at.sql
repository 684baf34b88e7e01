{% macro customer_top_category_at(population, customers=none, cutoffs=none, carry=false, at=none, rows=none) %}
    {#- The top category of each row of `population` (a CTE name or relation
        with one row per customer_id and cutoff_at), from what happened
        strictly before the cut-off: the category with the most units bought
        (completed orders, returns left out); for customers who never bought,
        the most viewed in the trailing 90 days. Ties go to the first name
        alphabetically; null when there is neither.
        `customers`, `cutoffs`, `carry` and `at`: as for every family (macro
        feature_family_keys, macros/customer_population_at.sql). `rows`: as
        for customer_web_features_at. -#}
with

population_cutoffs as (
    select distinct cutoff_at
    from {{ cutoffs or population }}
),

order_lines as (
    select * from {{ ref('int_order_lines_enriched') }}
    {%- if customers %}
    where {{ population_customers_only('customer_id', customers) }}
    {%- endif %}
),

-- the rollup's rows of whole days before each cut-off and the events of the
-- other days (macros/events_rolled_to_days.sql)
web_rows as (
    {%- if rows %}
    select * from {{ rows }}
    {%- else %}
    {{ events_rolled_to_days_rows('web', 'population_cutoffs', customers, at) | indent(4) }}
    {%- endif %}
),

-- top category: most units bought; customers who never bought: most viewed in 90 days
category_signals as (
    select
        population_cutoffs.cutoff_at,
        order_lines.customer_id,
        order_lines.category,
        sum(order_lines.quantity) * 1000 as weight
    from order_lines
    inner join population_cutoffs
        on order_lines.ordered_at < population_cutoffs.cutoff_at
    where order_lines.is_completed and not order_lines.is_return and order_lines.category is not null
    group by population_cutoffs.cutoff_at, order_lines.customer_id, order_lines.category
    union all
    select
        cutoff_at,
        customer_id,
        viewed_category as category,
        sum(product_views) as weight
    from web_rows
    where row_at >= cutoff_at - interval '90 days' and viewed_category is not null
    group by cutoff_at, customer_id, viewed_category
),

category_weights as (
    select
        cutoff_at,
        customer_id,
        category,
        sum(weight) as weight
    from category_signals
    group by cutoff_at, customer_id, category
),

-- the heaviest category; ties go to the first name alphabetically
top_categories as (
    select
        cutoff_at,
        customer_id,
        category as top_category
    from category_weights
    qualify row_number() over (partition by cutoff_at, customer_id order by weight desc, category asc) = 1
)

select
    {{- feature_family_keys(carry) }}
    top_categories.top_category
from {{ population }} as population
left join top_categories
    on population.customer_id = top_categories.customer_id
    and population.cutoff_at = top_categories.cutoff_at
{% endmacro %}
