{#-
    Trigger firings as Braze custom events (/users/track events): one row per
    active firing of fct_trigger_audiences (fired, not expired, not converted)
    for a person whose primary email is contactable and who is outside the
    global holdout, by the persistent external_id. event_id hashes the person's
    external_id, the trigger and its firing time, so rebuilds of the same data
    give the same id: sync in insert mode keyed by event_id (Braze does not
    deduplicate events). event_name (Braze's name) is ep_<trigger_type>, event_time
    (Braze's time) ISO 8601 UTC; properties hold what the
    email needs: the trigger's product (the top bestseller when the trigger has
    none, e.g. welcome) and the person's recommendations.
    sync_klaviyo__events sends the same firings to Klaviyo.
-#}

{%- set n_recs = number_var('export_recommendations') | int %}
{%- set properties = [
    ('trigger_type', 'firings.trigger_type'),
    ('trigger_id', 'firings.trigger_id'),
    ('expires_at', format_timestamp('firings.expires_at', '%Y-%m-%dT%H:%M:%SZ')),
    ('product_id', 'firings.product_id'),
    ('product_name', 'firings.product_name'),
    ('product_url', 'firings.product_url'),
    ('product_image_url', 'firings.product_image_url'),
    ('product_category', 'firings.product_category'),
    ('product_price', 'firings.product_price'),
] %}
{%- for slot in range(1, n_recs + 1) -%}
{%- for field in ['name', 'url', 'image_url', 'price'] -%}
{%- do properties.append(('rec_' ~ slot ~ '_' ~ field, 'recommendations.rec_' ~ slot ~ '_' ~ field)) -%}
{%- endfor -%}
{%- endfor %}

with

audiences as (
    select * from {{ ref('fct_trigger_audiences') }}
    where is_active
),

contactable as (
    select customer_id
    from {{ ref('fct_contactability') }}
    where is_primary_email and is_contactable
),

holdout as (
    select distinct customer_id
    from {{ ref('fct_experiment_assignments') }}
    where is_global_holdout
),

external_ids as (
    select
        customer_id,
        external_id
    from {{ ref('dim_customer_external_ids') }}
    where is_active
),

top_bestseller as (
    select * from {{ ref('dim_products') }}
    where overall_rank = 1
),

recommendations as (
    select
        customer_id,
        {{- export_recommendation_columns('rec_{slot}_{field}', max_length=255) }}
        currency
    from {{ ref('fct_customer_personalization') }}
),

firings as (
    select
        external_ids.external_id,
        audiences.customer_id,
        audiences.trigger_id,
        audiences.trigger_type,
        audiences.triggered_at,
        audiences.expires_at,
        coalesce(audiences.product_id, top_bestseller.product_id) as product_id,
        left(coalesce(audiences.product_name, top_bestseller.product_name), 255) as product_name,
        left(coalesce(audiences.product_url, top_bestseller.product_url), 255) as product_url,
        left(coalesce(audiences.image_url, top_bestseller.image_url), 255) as product_image_url,
        coalesce(audiences.category, top_bestseller.category) as product_category,
        {{ format_price('coalesce(audiences.price, top_bestseller.price)', base_currency_literal()) }}
            as product_price
    from audiences
    inner join contactable
        on audiences.customer_id = contactable.customer_id
    inner join external_ids
        on audiences.customer_id = external_ids.customer_id
    left join top_bestseller
        on true
    where
        not exists (
            select 1
            from holdout
            where holdout.customer_id = audiences.customer_id
        )
),

content as (
    select
        md5(
            concat_ws(
                '|',
                firings.external_id,
                firings.trigger_type,
                {{ format_timestamp('firings.triggered_at', '%Y-%m-%dT%H:%M:%S.%f') }}
            )
        ) as event_id,
        firings.external_id,
        'ep_' || firings.trigger_type as event_name,
        {{ format_timestamp('firings.triggered_at', '%Y-%m-%dT%H:%M:%SZ') }} as event_time,
        firings.triggered_at,
        cast(
            {{ json_object(properties) }} as {{ dbt.type_string() }}
        ) as properties,
        firings.customer_id
    from firings
    left join recommendations
        on firings.customer_id = recommendations.customer_id
)

select
    event_id,
    external_id,
    event_name,
    event_time,
    triggered_at,
    properties
from content
