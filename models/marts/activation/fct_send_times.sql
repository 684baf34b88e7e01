{#-
    The best hour to send to each known customer, learned from when they open
    (people only: machine opens are excluded) and click, in their local time.
    Each hour's score is the customer's own count plus pseudo-counts spread by
    their segment's (engagement tier) and everyone's hour shares, so a customer
    with little history leans on the group. source says which dominates.
-#}

with

customers as (
    select
        dim_customers.customer_id,
        dim_customers.time_zone,
        coalesce(segments.engagement_tier, 'unreached') as segment
    from {{ ref('dim_customers') }} as dim_customers
    left join {{ ref('fct_customer_segments') }} as segments
        on dim_customers.customer_id = segments.customer_id
    where dim_customers.is_known
),

engagements as (
    select
        customer_id,
        occurred_at
    from {{ ref('int_email_events_attributed') }}
    where (event_type = 'open' and not is_machine_open) or event_type = 'click'
),

hours as (
    select day_hours.local_hour
    from (
        values
        {%- for hour in range(24) %}
        ({{ hour }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as day_hours (local_hour)
),

own_counts as (
    select
        customers.customer_id,
        customers.segment,
        hour({{ utc_to_local('engagements.occurred_at', "coalesce(customers.time_zone, 'UTC')") }}) as local_hour,
        count(*) as events
    from engagements
    inner join customers
        on engagements.customer_id = customers.customer_id
    group by customers.customer_id, customers.segment, local_hour
),

segment_shares as (
    select
        segment,
        local_hour,
        sum(events) / sum(sum(events)) over (partition by segment) as hour_share,
        sum(sum(events)) over (partition by segment) as segment_events
    from own_counts
    group by segment, local_hour
),

global_shares as (
    select
        local_hour,
        sum(events) / sum(sum(events)) over () as hour_share
    from own_counts
    group by local_hour
),

own_totals as (
    select
        customer_id,
        sum(events) as own_events
    from own_counts
    group by customer_id
),

scores as (
    select
        customers.customer_id,
        customers.time_zone,
        hours.local_hour,
        coalesce(own_counts.events, 0) as own,
        coalesce(own_totals.own_events, 0) as own_events,
        coalesce(segment_shares.segment_events, 0) as segment_events,
        coalesce(own_counts.events, 0)
        + {{ number_var('send_time_segment_prior') }} * coalesce(segment_shares.hour_share, global_shares.hour_share, 0)
        + {{ number_var('send_time_global_prior') }} * coalesce(global_shares.hour_share, 0)
        -- with no history anywhere, a gentle preference for the default hour
        + case when hours.local_hour = {{ number_var('send_time_default_hour') }} then 1e-6 else 0 end as score
    from customers
    cross join hours
    left join own_counts
        on customers.customer_id = own_counts.customer_id
        and hours.local_hour = own_counts.local_hour
    left join own_totals
        on customers.customer_id = own_totals.customer_id
    left join segment_shares
        on customers.segment = segment_shares.segment
        and hours.local_hour = segment_shares.local_hour
    left join global_shares
        on hours.local_hour = global_shares.local_hour
),

windowed as (
    select
        *,
        -- the score of the hour and its two neighbours (circular)
        score
        + lag(score, 1, 0) over by_hour
        + lead(score, 1, 0) over by_hour
        + case when local_hour = 0 then last_value(score) over whole_day else 0 end
        + case when local_hour = 23 then first_value(score) over whole_day else 0 end as neighbourhood_score,
        sum(score) over whole_day as total_score
    from scores
    window
        by_hour as (partition by customer_id order by local_hour),
        whole_day as (
            partition by customer_id order by local_hour
            rows between unbounded preceding and unbounded following
        )
),

best as (
    select *
    from windowed
    qualify row_number() over (partition by customer_id order by score desc, local_hour asc) = 1
)

select
    customer_id,
    cast(
        hour(
            {{ local_to_utc(
                dbt.dateadd('hour', 'cast(local_hour as integer)', 'cast(' ~ as_of_timestamp() ~ ' as date)'),
                "coalesce(time_zone, 'UTC')"
            ) }}
        ) as integer
    ) as best_hour_utc,
    case when time_zone is not null then cast(local_hour as integer) end as best_hour_local,
    time_zone,
    cast(own_events as integer) as own_events,
    case
        when
            own_events >= {{ number_var('send_time_segment_prior') }} + {{ number_var('send_time_global_prior') }}
            then 'own'
        when segment_events > 0 then 'segment'
        else 'global'
    end as source,  -- noqa: RF04
    -- the smoothed probability that an open lands within an hour of the chosen one
    round(least(neighbourhood_score / nullif(total_score, 0), 1), 4) as confidence
from best
