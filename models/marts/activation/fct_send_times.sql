{#-
    The best hour to send to each known customer, learned from when they open
    (people only: machine opens are excluded) and click, in their local time.
    Each hour's score is the customer's own count plus pseudo-counts spread by
    their segment's (engagement tier) and everyone's hour shares, so a customer
    with little history leans on the group. source says which dominates.
-#}

{%- set segment_prior = number_var('send_time_segment_prior') %}
{%- set global_prior = number_var('send_time_global_prior') %}
{%- set default_hour = number_var('send_time_default_hour') %}

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

-- the 24 hours as columns, one row per customer, segment or (everyone) a single
-- row: a row per customer and hour with windows over it took minutes at 1,000,000
-- customers (issue 15)
own_hours as (
    select
        customer_id,
        {%- for hour in range(24) %}
        coalesce(max(events) filter (where local_hour = {{ hour }}), 0) as own_{{ hour }},
        {%- endfor %}
        sum(events) as own_events
    from own_counts
    group by customer_id
),

segment_hours as (
    select
        segment,
        {%- for hour in range(24) %}
        max(hour_share) filter (where local_hour = {{ hour }}) as share_{{ hour }},
        {%- endfor %}
        max(segment_events) as segment_events
    from segment_shares
    group by segment
),

-- one row, null shares when nobody engaged
global_hours as (
    select
        {%- for hour in range(24) %}
        max(hour_share) filter (where local_hour = {{ hour }}) as share_{{ hour }},
        {%- endfor %}
        count(*) as engaged_hours
    from global_shares
),

scores as (
    select
        customers.customer_id,
        customers.time_zone,
        coalesce(own_hours.own_events, 0) as own_events,
        coalesce(segment_hours.segment_events, 0) as segment_events,
        {%- for hour in range(24) %}
        segment_hours.share_{{ hour }} is not null as segment_has_{{ hour }},
        -- own count, plus the segment's and everyone's pseudo-counts, and with no history
        -- anywhere a gentle preference for the default hour
        coalesce(own_hours.own_{{ hour }}, 0)
        + {{ segment_prior }} * coalesce(segment_hours.share_{{ hour }}, global_hours.share_{{ hour }}, 0)
        + {{ global_prior }} * coalesce(global_hours.share_{{ hour }}, 0)
        + case when {{ hour }} = {{ default_hour }} then 1e-6 else 0 end as score_{{ hour }},
        {%- endfor %}
        customers.segment
    from customers
    cross join global_hours
    left join own_hours
        on customers.customer_id = own_hours.customer_id
    left join segment_hours
        on customers.segment = segment_hours.segment
),

best_scores as (
    select
        *,
        greatest(
            {%- for hour in range(24) %}
            score_{{ hour }}{{ ',' if not loop.last }}
            {%- endfor %}
        ) as best_score
    from scores
),

-- the best hour (ties go to the earliest)
best_hours as (
    select
        *,
        case
            {%- for hour in range(24) %}
            when score_{{ hour }} = best_score then {{ hour }}
            {%- endfor %}
        end as local_hour
    from best_scores
),

best as (
    select
        customer_id,
        time_zone,
        local_hour,
        own_events,
        -- the segment's events count where the segment had some at the chosen hour
        case
            {%- for hour in range(24) %}
            when local_hour = {{ hour }} and segment_has_{{ hour }} then segment_events
            {%- endfor %}
            else 0
        end as segment_events,
        -- the score of the hour and its two neighbours (circular)
        case
            {%- for hour in range(24) %}
            {%- if hour == 0 %}
            when local_hour = 0 then score_0 + score_1 + score_23
            {%- elif hour == 23 %}
            when local_hour = 23 then score_23 + score_22 + score_0
            {%- else %}
            when local_hour = {{ hour }} then score_{{ hour }} + score_{{ hour - 1 }} + score_{{ hour + 1 }}
            {%- endif %}
            {%- endfor %}
        end as neighbourhood_score,
        {%- for hour in range(24) %}
        score_{{ hour }}{{ ' +' if not loop.last else ' as total_score' }}
        {%- endfor %}
    from best_hours
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
