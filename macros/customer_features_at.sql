{% macro customer_features_at(cutoffs) %}
    {#- Customer features as they were at each cut-off: one row per customer and
        cutoff_at, for customers first seen before it. `cutoffs` is SQL that
        returns a cutoff_at column. Every input is filtered to events strictly
        before the cut-off, so a snapshot never sees its own future; the same
        code serves fct_customer_features (one cut-off, as_of_date) and the
        training snapshots of the ML models (several past cut-offs). -#}
with

cutoffs as (
    {{ cutoffs }}
),

customers as (
    select
        customer_id,
        first_seen_at,
        coalesce(signed_up_at, first_seen_at) as tenure_start_at,
        time_zone
    from {{ ref('int_customers_unified') }}
),

orders as (
    select * from {{ ref('int_orders_attributed') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_enriched') }}
),

email_events as (
    select * from {{ ref('int_email_events_attributed') }}
),

web_events as (
    select * from {{ ref('int_web_events_sessionized') }}
),

population as (
    select
        customers.customer_id,
        customers.tenure_start_at,
        customers.time_zone,
        cutoffs.cutoff_at
    from customers
    inner join cutoffs
        on customers.first_seen_at < cutoffs.cutoff_at
),

order_features as (
    select
        cutoffs.cutoff_at,
        orders.customer_id,
        count(*) filter (where orders.is_completed) as order_count,
        count(*) filter (
            where orders.is_completed and orders.ordered_at >= cutoffs.cutoff_at - interval '90 days'
        ) as orders_90d,
        count(*) filter (
            where orders.is_completed and orders.ordered_at >= cutoffs.cutoff_at - interval '180 days'
        ) as orders_180d,
        count(*) filter (where orders.status = 'cancelled') as cancelled_order_count,
        sum(orders.net_revenue) as monetary_value,
        sum(orders.returned_amount) filter (where orders.is_completed) as returned_value,
        min(orders.ordered_at) filter (where orders.is_completed) as first_order_at,
        max(orders.ordered_at) filter (where orders.is_completed) as last_order_at
    from orders
    inner join cutoffs
        on orders.ordered_at < cutoffs.cutoff_at
    group by cutoffs.cutoff_at, orders.customer_id
),

-- one row per cut-off, customer and campaign: did each kind of event happen
-- in each window (a group-by is much cheaper than count(distinct) per window)
email_campaigns as (
    select
        cutoffs.cutoff_at,
        email_events.customer_id,
        email_events.campaign_id,
        {%- for days in [30, 90] %}
        bool_or(
            email_events.event_type = 'sent'
            and email_events.occurred_at >= cutoffs.cutoff_at - interval '{{ days }} days'
        ) as sent_{{ days }}d,
        bool_or(
            email_events.event_type = 'delivered'
            and email_events.occurred_at >= cutoffs.cutoff_at - interval '{{ days }} days'
        ) as delivered_{{ days }}d,
        bool_or(
            email_events.event_type in ('open', 'click') and not email_events.is_machine_open
            and email_events.occurred_at >= cutoffs.cutoff_at - interval '{{ days }} days'
        ) as opened_{{ days }}d,
        bool_or(
            email_events.event_type = 'click'
            and email_events.occurred_at >= cutoffs.cutoff_at - interval '{{ days }} days'
        ) as clicked_{{ days }}d,
        {%- endfor %}
        max(email_events.occurred_at) filter (
            where email_events.event_type = 'open' and not email_events.is_machine_open
        ) as last_open_at,
        max(email_events.occurred_at) filter (where email_events.event_type = 'click') as last_click_at,
        max(email_events.occurred_at) filter (
            where email_events.event_type in ('unsubscribe', 'spam_report', 'bounce')
        ) as last_negative_email_event_at
    from email_events
    inner join cutoffs
        on email_events.occurred_at < cutoffs.cutoff_at
    group by cutoffs.cutoff_at, email_events.customer_id, email_events.campaign_id
),

email_features as (
    select
        cutoff_at,
        customer_id,
        {%- for days in [30, 90] %}
        {%- for kind in ['sent', 'delivered', 'opened', 'clicked'] %}
        -- events without a campaign count for the last-event times only, as count(distinct) would
        count(*) filter (where {{ kind }}_{{ days }}d and campaign_id is not null) as emails_{{ kind }}_{{ days }}d,
        {%- endfor %}
        {%- endfor %}
        max(last_open_at) as last_open_at,
        max(last_click_at) as last_click_at,
        max(last_negative_email_event_at) as last_negative_email_event_at
    from email_campaigns
    group by cutoff_at, customer_id
),

open_hours as (
    select
        cutoffs.cutoff_at,
        email_events.customer_id,
        hour(email_events.occurred_at) as open_hour_utc,
        count(*) as opens
    from email_events
    inner join cutoffs
        on email_events.occurred_at < cutoffs.cutoff_at
    where email_events.event_type = 'open' and not email_events.is_machine_open
    group by cutoffs.cutoff_at, email_events.customer_id, hour(email_events.occurred_at)
),

usual_open_hours as (
    select
        cutoff_at,
        customer_id,
        -- the most frequent hour; ties go to the earliest hour
        arg_max(open_hour_utc, opens * 100 - open_hour_utc) as usual_open_hour_utc
    from open_hours
    group by cutoff_at, customer_id
),

web_features as (
    select
        cutoffs.cutoff_at,
        web_events.customer_id,
        count(distinct web_events.session_id) filter (
            where web_events.occurred_at >= cutoffs.cutoff_at - interval '30 days'
        ) as web_sessions_30d,
        count(distinct web_events.session_id) filter (
            where web_events.occurred_at >= cutoffs.cutoff_at - interval '90 days'
        ) as web_sessions_90d,
        count(*) filter (
            where web_events.event_type = 'product_view'
            and web_events.occurred_at >= cutoffs.cutoff_at - interval '30 days'
        ) as product_views_30d,
        count(*) filter (
            where web_events.event_type = 'add_to_cart'
            and web_events.occurred_at >= cutoffs.cutoff_at - interval '30 days'
        ) as carts_30d,
        max(web_events.occurred_at) as last_web_event_at
    from web_events
    inner join cutoffs
        on web_events.occurred_at < cutoffs.cutoff_at
    where web_events.customer_id is not null
    group by cutoffs.cutoff_at, web_events.customer_id
),

-- top category: most units bought; customers who never bought: most viewed in 90 days
category_signals as (
    select
        cutoffs.cutoff_at,
        order_lines.customer_id,
        order_lines.category,
        sum(order_lines.quantity) * 1000 as weight
    from order_lines
    inner join cutoffs
        on order_lines.ordered_at < cutoffs.cutoff_at
    where order_lines.is_completed and not order_lines.is_return and order_lines.category is not null
    group by cutoffs.cutoff_at, order_lines.customer_id, order_lines.category
    union all
    select
        cutoffs.cutoff_at,
        web_events.customer_id,
        web_events.category,
        count(*) as weight
    from web_events
    inner join cutoffs
        on web_events.occurred_at < cutoffs.cutoff_at
        and web_events.occurred_at >= cutoffs.cutoff_at - interval '90 days'
    where web_events.event_type = 'product_view' and web_events.category is not null
        and web_events.customer_id is not null
    group by cutoffs.cutoff_at, web_events.customer_id, web_events.category
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
    population.customer_id,
    population.cutoff_at,
    -- orders (RFM)
    coalesce(order_features.order_count, 0) as order_count,
    coalesce(order_features.orders_90d, 0) as orders_90d,
    coalesce(order_features.orders_180d, 0) as orders_180d,
    coalesce(order_features.cancelled_order_count, 0) as cancelled_order_count,
    order_features.first_order_at,
    order_features.last_order_at,
    date_diff('day', order_features.last_order_at, population.cutoff_at) as recency_days,
    cast(coalesce(order_features.monetary_value, 0) as decimal(18, 2)) as monetary_value,
    cast(coalesce(order_features.returned_value, 0) as decimal(18, 2)) as returned_value,
    cast(
        order_features.monetary_value / nullif(order_features.order_count, 0) as decimal(18, 2)
    ) as average_order_value,
    case
        when order_features.order_count > 1
            then round(
                date_diff('second', order_features.first_order_at, order_features.last_order_at)
                / 86400.0 / (order_features.order_count - 1),
                2
            )
    end as mean_days_between_orders,
    date_diff('day', population.tenure_start_at, population.cutoff_at) as tenure_days,
    -- email
    {%- for days in [30, 90] %}
    coalesce(email_features.emails_sent_{{ days }}d, 0) as emails_sent_{{ days }}d,
    coalesce(email_features.emails_delivered_{{ days }}d, 0) as emails_delivered_{{ days }}d,
    coalesce(email_features.emails_opened_{{ days }}d, 0) as emails_opened_{{ days }}d,
    coalesce(email_features.emails_clicked_{{ days }}d, 0) as emails_clicked_{{ days }}d,
    round(
        email_features.emails_opened_{{ days }}d
        / nullif(greatest(email_features.emails_delivered_{{ days }}d, email_features.emails_opened_{{ days }}d), 0),
        4
    ) as open_rate_{{ days }}d,
    round(
        email_features.emails_clicked_{{ days }}d
        / nullif(greatest(email_features.emails_delivered_{{ days }}d, email_features.emails_clicked_{{ days }}d), 0),
        4
    ) as click_rate_{{ days }}d,
    {%- endfor %}
    email_features.last_open_at,
    email_features.last_click_at,
    email_features.last_negative_email_event_at,
    usual_open_hours.usual_open_hour_utc,
    hour(
        timezone(
            population.time_zone,
            cast(population.cutoff_at::date + to_hours(usual_open_hours.usual_open_hour_utc) as timestamptz)
        )
    ) as usual_open_hour_local,
    -- web
    coalesce(web_features.web_sessions_30d, 0) as web_sessions_30d,
    coalesce(web_features.web_sessions_90d, 0) as web_sessions_90d,
    coalesce(web_features.product_views_30d, 0) as product_views_30d,
    coalesce(web_features.carts_30d, 0) as carts_30d,
    web_features.last_web_event_at,
    top_categories.top_category,
    {{ quote_literal(var("base_currency")) }} as currency
from population
left join order_features
    on population.customer_id = order_features.customer_id
    and population.cutoff_at = order_features.cutoff_at
left join email_features
    on population.customer_id = email_features.customer_id
    and population.cutoff_at = email_features.cutoff_at
left join usual_open_hours
    on population.customer_id = usual_open_hours.customer_id
    and population.cutoff_at = usual_open_hours.cutoff_at
left join web_features
    on population.customer_id = web_features.customer_id
    and population.cutoff_at = web_features.cutoff_at
left join top_categories
    on population.customer_id = top_categories.customer_id
    and population.cutoff_at = top_categories.cutoff_at
{% endmacro %}
