{%- set source_columns = [
    'event_id', 'anonymous_id', 'contact_id', 'email', 'event_type', 'product_id', 'occurred_at',
    'device_key', 'session_number', 'is_session_start',
] %}
{%- set identifier_types = ['contact_id', 'email', 'anonymous_id'] %}
{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='attribution_slice',
    post_hook="{{ attribution_slice_save(ref('int_web_event_sessions'), 'event_date', "
        ~ source_columns ~ ", " ~ identifier_types ~ ") }}",
) }}
{#-
    One row per accepted web event that belongs to a customer, with its
    session (int_web_event_sessions: a device's events with no gap over the
    timeout) and the product's category. The customer is looked up from the
    current identity map, so a change in identity stitching reaches every
    event.

    Incremental on DuckDB (macros/attribution_slice.sql): a run attributes
    again only the events of the days whose sessions changed, the events
    carrying an identifier whose customer changed and the events of a product
    whose category changed; the table equals what a full build makes.
-#}
{%- set plan = attribution_slice_plan(ref('int_web_event_sessions'), 'event_date', source_columns) %}
{{ attribution_slice_marker(plan) }}

with

{%- if plan.days is not none %}

changed_identifiers as (
    {{ attribution_changed_identifiers(identifier_types) | indent(4) }}
),

-- products whose category is not what the table holds for them
changed_products as (
    select
        product_id,
        category
    from {{ this }}
    where product_id is not null
    except
    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}
),
{%- endif %}

web_events as (
    select * from {{ ref('int_web_event_sessions') }}
    {%- if plan.days is not none %}
    where {{ attribution_days_in('event_date', plan) }}
        {%- for identifier_type in identifier_types %}
        or {{ identifier_type }} in (
            select identifier_value from changed_identifiers
            where identifier_type = '{{ identifier_type }}'
        )
        {%- endfor %}
        or product_id in (select changed_products.product_id from changed_products)
    {%- endif %}
),

products as (
    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}
),

attributed as (
    {{ attribute_to_customers(
        'web_events', contact_id='contact_id', email='email', anonymous_id='anonymous_id',
        keep_unattributed=plan.days is not none
    ) | indent(4) }}
)

select
    attributed.event_id,
    attributed.customer_id,
    attributed.anonymous_id,
    attributed.event_type,
    attributed.product_id,
    products.category,
    attributed.occurred_at,
    md5(attributed.device_key || '|' || attributed.session_number) as session_id,
    attributed.is_session_start
from attributed
left join products
    on attributed.product_id = products.product_id
