{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='event_slice',
    event_slice_key='event_id',
    full_build_parts={'by': "coalesce(anonymous_id, 'contact_id:' || contact_id, 'email:' || email)", 'parts': 4},
) }}
{#-
    Every accepted web event with its device's session: a device's run of
    events with no gap of var session_timeout_minutes or more. The device is
    the anonymous id, or for an event without one its contact id, else its
    email: a property of the event, never of the customer it is attributed
    to, so sessions do not move when identities are stitched again;
    int_web_events_sessionized attributes them.

    Incremental on DuckDB (macros/event_slice.sql, session_slice_plan): a run
    sessionizes again only the events of the last event_lookback_days days;
    each device then continues from its last event before them (its session
    number and time), so the table equals what a full build makes. Elsewhere,
    and when the events before the slice changed, every event is sessionized.

    A full build on DuckDB runs in four statements, a quarter of the devices each
    (config full_build_parts, macros/full_build_parts.sql): the windows of all
    40 M events of 1,000,000 contacts spilled at DuckDB's memory limit.
-#}
{%- set fingerprint = session_fingerprint(ref('stg_web__events')) -%}
{%- set plan = session_slice_plan(ref('stg_web__events'), fingerprint) %}
{{ event_slice_marker(plan) }}
{%- set timeout = "interval '" ~ number_var('session_timeout_minutes') ~ " minutes'" %}

with

events as (
    select
        event_id,
        anonymous_id,
        contact_id,
        email,
        event_type,
        product_id,
        occurred_at,
        coalesce(anonymous_id, 'contact_id:' || contact_id, 'email:' || email) as device_key
    from {{ ref('stg_web__events') }}
    {%- if plan.start %}
    where occurred_at >= cast('{{ plan.start }}' as date)
    {%- else %}
    where {{ full_build_part() }}
    {%- endif %}
),

{%- if plan.start %}

-- each device's last event before the slice: the session it may continue
seeds as (
    select
        device_key,
        max(occurred_at) as seed_at,
        -- numbers only grow along a device's events: the largest is its last event's
        max(session_number) as seed_number
    from {{ this }}
    where
        event_date < cast('{{ plan.start }}' as date)
        and device_key in (select events.device_key from events)
    group by device_key
),
{%- endif %}

gaps as (
    select
        events.*,
        lag(events.occurred_at) over (
            partition by events.device_key order by events.occurred_at, events.event_id
        ) as previous_event_at
    from events
),

starts as (
    select
        gaps.*,
        {%- if plan.start %}
        coalesce(gaps.previous_event_at, seeds.seed_at) as last_event_at,
        coalesce(seeds.seed_number, 0) as sessions_before
        {%- else %}
        gaps.previous_event_at as last_event_at,
        0 as sessions_before
        {%- endif %}
    from gaps
    {%- if plan.start %}
    left join seeds
        on gaps.device_key = seeds.device_key
    {%- endif %}
),

flagged as (
    select
        *,
        case when last_event_at > occurred_at - {{ timeout }} then 0 else 1 end as is_session_start
    from starts
)

select
    event_id,
    anonymous_id,
    contact_id,
    email,
    event_type,
    product_id,
    occurred_at,
    cast(occurred_at as date) as event_date,
    device_key,
    sessions_before + sum(is_session_start) over (
        partition by device_key order by occurred_at, event_id
        rows between unbounded preceding and current row
    ) as session_number,
    is_session_start = 1 as is_session_start,
    {{ fingerprint }} as session_fingerprint
from flagged
