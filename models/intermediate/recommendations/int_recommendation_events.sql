{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='recommendation_events',
    post_hook="{{ recommendation_events_save() }}",
) }}

{#-
    Every customer-product interaction the recommender learns from, before
    as_of_date: completed purchases (order lines, returns excluded), add to
    cart and product views on the web, and email clicks on product links (the
    link's product id, or its URL without query string matched to the
    product's URL). Events of erased customers and of products missing from
    the catalogue are left out. Weights and decay are applied in Python
    (python_udfs/recs/engine.py), so the same events serve evaluation and
    scoring.

    On DuckDB a run after the first computes again only the customers
    int_customer_features computed again in the same invocation, and keeps the
    others' stored rows (strategy recommendation_events,
    macros/recommendation_events_refresh.sql); the table equals what a full
    build makes.
-#}
-- depends_on: {{ ref('int_customer_features') }}
{%- set plan = recommendation_events_plan() %}
{{ recommendation_events_marker(plan) }}

with

products as (
    select
        product_id,
        split_part(product_url, '?', 1) as product_url
    from {{ ref('stg_shop__products') }}
),

erased as (
    select * from {{ ref('int_erased_customers') }}
),

purchases as (
    select
        customer_id,
        product_id,
        'purchase' as interaction_type,
        ordered_at as occurred_at,
        order_id
    from {{ ref('int_order_lines_enriched') }}
    where is_completed
        and not is_return
        and customer_id is not null
        and product_id is not null
        and ordered_at < {{ as_of_timestamp() }}
        and {{ recommendation_events_customers('customer_id', plan) }}
),

web as (
    select
        customer_id,
        product_id,
        case when event_type = 'add_to_cart' then 'cart' else 'view' end as interaction_type,
        occurred_at,
        cast(null as {{ dbt.type_string() }}) as order_id
    from {{ ref('int_web_events_sessionized') }}
    where event_type in ('product_view', 'add_to_cart')
        and customer_id is not null
        and product_id is not null
        and occurred_at < {{ as_of_timestamp() }}
        and {{ recommendation_events_customers('customer_id', plan) }}
),

clicks as (
    select
        email_events.customer_id,
        coalesce(by_id.product_id, by_url.product_id) as product_id,
        'click' as interaction_type,
        email_events.occurred_at,
        cast(null as {{ dbt.type_string() }}) as order_id
    from {{ ref('int_email_events_attributed') }} as email_events
    left join products as by_id
        on email_events.url_product_id = by_id.product_id
    left join products as by_url
        on split_part(email_events.url, '?', 1) = by_url.product_url
    where email_events.event_type = 'click'
        and email_events.customer_id is not null
        and email_events.occurred_at < {{ as_of_timestamp() }}
        and {{ recommendation_events_customers('email_events.customer_id', plan) }}
),

unioned as (
    select * from purchases
    union all
    select * from web
    union all
    select * from clicks
)

select
    unioned.customer_id,
    unioned.product_id,
    unioned.interaction_type,
    unioned.occurred_at,
    unioned.order_id
from unioned
inner join products
    on unioned.product_id = products.product_id
where unioned.customer_id not in (select erased.customer_id from erased)
