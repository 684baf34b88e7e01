{% macro customer_population_at(cutoffs, customers=none) %}
    {#- Who has features at each cut-off: one row per customer first seen
        strictly before cutoff_at (int_customers_unified) and cut-off of
        `cutoffs` (a relation with a column cutoff_at), with the tenure start
        (signup, else first sighting) and time zone the features need. The one
        definition of the population of customer_features_at and of
        int_training_history_measured. `customers` (a relation with a column
        customer_id), when given, keeps only those customers. -#}
select
    customers.customer_id,
    coalesce(customers.signed_up_at, customers.first_seen_at) as tenure_start_at,
    customers.time_zone,
    cutoffs.cutoff_at
from {{ ref('int_customers_unified') }} as customers
inner join {{ cutoffs }} as cutoffs
    on customers.first_seen_at < cutoffs.cutoff_at
{%- if customers %}
where {{ population_customers_only("customers.customer_id", customers) }}
{%- endif %}
{% endmacro %}

{% macro population_customers_only(column, population) -%}
    {#- Is `column` (SQL) a customer of `population` (a relation with a column customer_id)? -#}
    {{ column }} in (select population_customers.customer_id from {{ population }} as population_customers)
{%- endmacro %}

{% macro feature_family_keys(carry) -%}
    {#- The first columns of a feature family's select (customer_order_features_at,
        customer_email_features_at, customer_web_features_at, customer_top_category_at),
        over the alias population. The arguments the families share: `customers` (a
        relation with a column customer_id), when given: only their events are read (the
        refresh of a few customers, macros/customer_features_refresh.sql); `cutoffs` (a
        relation with a column cutoff_at), when given, holds the population's cut-offs, so
        they are not read from `population` again; with `carry`, every column of
        `population` comes along, not only its keys (customer_features_at chains the
        families); `at` (SQL of one constant time), when given, is every cut-off, so the
        events read for part of a day are bounded by constants DuckDB can filter on while
        it scans (events_rolled_to_days_rows). -#}
    {%- if carry %}
    population.*,
    {%- else %}
    population.customer_id,
    population.cutoff_at,
    {%- endif %}
{%- endmacro %}
