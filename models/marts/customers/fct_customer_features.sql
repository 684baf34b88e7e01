-- The features of int_customer_features, published with an enforced contract.
with

features as (
    select * from {{ ref('int_customer_features') }}
)

-- Integer columns cast to the contract's bigint: Spark's datediff and hour() give int.
select
    customer_id,
    cutoff_at,
    order_count,
    orders_90d,
    orders_180d,
    cancelled_order_count,
    first_order_at,
    last_order_at,
    cast(recency_days as bigint) as recency_days,
    monetary_value,
    returned_value,
    average_order_value,
    mean_days_between_orders,
    cast(tenure_days as bigint) as tenure_days,
    emails_sent_30d,
    emails_delivered_30d,
    emails_opened_30d,
    emails_clicked_30d,
    open_rate_30d,
    click_rate_30d,
    emails_sent_90d,
    emails_delivered_90d,
    emails_opened_90d,
    emails_clicked_90d,
    open_rate_90d,
    click_rate_90d,
    last_open_at,
    last_click_at,
    last_negative_email_event_at,
    cast(usual_open_hour_utc as bigint) as usual_open_hour_utc,
    cast(usual_open_hour_local as bigint) as usual_open_hour_local,
    web_sessions_30d,
    web_sessions_90d,
    product_views_30d,
    carts_30d,
    last_web_event_at,
    top_category,
    currency
from features
