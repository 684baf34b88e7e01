with

features as (
    select * from {{ ref('fct_customer_features') }}
),

segment_map as (
    select * from {{ ref('rfm_segments') }}
),

buyers as (
    select
        customer_id,
        recency_days,
        order_count,
        monetary_value
    from features
    where order_count > 0
),

-- quintile scores 1-5 among buyers; ties share the lower score, so every
-- one-order customer has the same frequency score
scored as (
    select
        customer_id,
        1 + floor(5.0 * (rank() over (order by recency_days desc) - 1) / count(*) over ())
            as recency_score,
        1 + floor(5.0 * (rank() over (order by order_count) - 1) / count(*) over ())
            as frequency_score,
        1 + floor(5.0 * (rank() over (order by monetary_value) - 1) / count(*) over ())
            as monetary_score
    from buyers
),

rfm as (
    select
        customer_id,
        cast(recency_score as integer) as recency_score,
        cast(frequency_score as integer) as frequency_score,
        cast(monetary_score as integer) as monetary_score,
        -- the F and M average, rounded half up
        cast(floor((frequency_score + monetary_score + 1) / 2) as integer) as frequency_monetary_score
    from scored
),

staged as (
    select
        features.customer_id,
        rfm.recency_score,
        rfm.frequency_score,
        rfm.monetary_score,
        rfm.frequency_monetary_score,
        case
            when rfm.customer_id is not null
                then concat(rfm.recency_score, rfm.frequency_score, rfm.monetary_score)
        end as rfm_cell,
        case
            when features.order_count = 0 then 'prospect'
            when features.first_order_at >= features.cutoff_at - interval '{{ number_var('lifecycle_new_days') }} days'
                then 'new'
            when features.recency_days <= {{ number_var('lifecycle_active_days') }} then 'active'
            when features.recency_days <= {{ number_var('lifecycle_at_risk_days') }} then 'at_risk'
            when features.recency_days <= {{ number_var('lifecycle_lapsed_days') }} then 'lapsed'
            else 'churned'
        end as lifecycle_stage,
        case
            when features.emails_clicked_30d >= {{ number_var('engagement_highly_engaged_min_clicks_30d') }}
                or features.emails_opened_30d >= {{ number_var('engagement_highly_engaged_min_opens_30d') }}
                then 'highly_engaged'
            when features.emails_opened_90d > 0 or features.web_sessions_30d > 0 then 'engaged'
            when features.emails_delivered_90d > 0 then 'unengaged'
            else 'unreached'
        end as engagement_tier,
        features.cutoff_at as as_of_at
    from features
    left join rfm
        on features.customer_id = rfm.customer_id
)

select
    staged.customer_id,
    staged.recency_score,
    staged.frequency_score,
    staged.monetary_score,
    staged.frequency_monetary_score,
    staged.rfm_cell,
    segment_map.rfm_segment,
    segment_map.segment_description,
    staged.lifecycle_stage,
    staged.engagement_tier,
    staged.as_of_at
from staged
left join segment_map
    on staged.recency_score = segment_map.recency_score
    and staged.frequency_monetary_score = segment_map.frequency_monetary_score
