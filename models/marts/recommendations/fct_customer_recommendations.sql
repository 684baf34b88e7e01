{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='replace_listed_customers',
    on_schema_change='append_new_columns',
    post_hook="{{ recommendations_mart_save() }}",
) }}

{#-
    The "recommended for you" block: var recommendations_top_n products for
    every known customer in dim_customers (ml_customer_recommendations lists
    none for a browser known only by its anonymous id), best first, with what
    produced each (collaborative, content, rule, repeat or trending), a reason
    to show, and the product fields templates need. Only active products; no
    product twice for a customer; at most var recommendation_max_per_category
    per category.

    On DuckDB a run after the first replaces only the rows of the customers
    whose list, contact id or listed products changed
    (macros/recommendations_mart_refresh.sql); the table equals a full build's.
#}
{%- set plan = recommendations_mart_plan() %}
{{ recommendations_mart_marker(plan) }}

with

customers as (
    select
        customer_id,
        contact_id
    from {{ ref('dim_customers') }}
    where {{ recommendations_mart_only(plan, 'customer_id') }}
),

recommendations as (
    select * from {{ ref('ml_customer_recommendations') }}
    where {{ recommendations_mart_only(plan, 'customer_id') }}
),

products as (
    select * from {{ ref('dim_products') }}
)

select
    recommendations.customer_id,
    customers.contact_id,
    cast(recommendations.rank as integer) as rank,
    recommendations.product_id,
    cast(recommendations.score as double) as score,
    recommendations.source,  -- noqa: RF04
    recommendations.reason,
    products.product_name,
    products.category,
    products.product_url,
    products.image_url,
    products.price,
    products.currency,
    recommendations.model_version,
    cast(recommendations.is_fallback as boolean) as is_fallback,
    cast(recommendations.scoring_note as {{ dbt.type_string() }}) as scoring_note
from recommendations
inner join customers
    on recommendations.customer_id = customers.customer_id
inner join products
    on recommendations.product_id = products.product_id
where products.is_active
