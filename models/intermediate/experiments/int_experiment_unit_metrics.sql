{{ config(materialized='table') }}

{#-
    One row per assignment and metric: the unit's value in the experiment's
    conversion window after exposure, and over the same length of time before
    exposure (the CUPED covariate). Every assigned unit has a row, zero when it
    did nothing. Computed here, below the marts, so the experiment statistics
    (int_experiment_arm_stats*) read no mart; fct_experiment_unit_metrics
    publishes it.
-#}

{%- set email_metrics = ['open', 'click', 'unsubscribe'] -%}
{%- set known_metrics = ['visit', 'conversion', 'revenue'] + email_metrics -%}
{#- each metric names columns below: anything else stops compilation instead of reaching SQL -#}
{%- for metric in var('experiment_metrics') if metric not in known_metrics -%}
{{ exceptions.raise_compiler_error(
    "var experiment_metrics: unknown metric " ~ (metric | string)[:80] ~ "; use any of " ~ known_metrics | join(', ')
) }}
{%- endfor -%}

with

experiment_windows as (
    select distinct
        experiment_id,
        conversion_window_days
    from {{ ref('int_experiment_config') }}
),

assignments as (
    select
        resolved.assignment_id,
        resolved.experiment_id,
        resolved.customer_id,
        resolved.variant,
        resolved.exposed_at,
        {{ dbt.dateadd('day', 'experiment_windows.conversion_window_days', 'resolved.exposed_at') }}
            as window_ends_at,
        {{ dbt.dateadd('day', '-experiment_windows.conversion_window_days', 'resolved.exposed_at') }}
            as pre_window_starts_at
    from {{ ref('int_experiment_assignments_resolved') }} as resolved
    inner join experiment_windows
        on resolved.experiment_id = experiment_windows.experiment_id
),

orders as (
    select
        customer_id,
        ordered_at,
        is_completed,
        net_revenue
    from {{ ref('int_orders_attributed') }}
),

web_events as (
    select
        customer_id,
        occurred_at
    from {{ ref('int_web_events_sessionized') }}
),

-- only the events a metric counts (sends and deliveries are most of them): an
-- assignment whose window holds none gets no email_windows row, and 0 below,
-- as it would from all its events
email_events as (
    select
        customer_id,
        occurred_at,
        event_type = 'open' and not is_machine_open as is_human_open,
        event_type = 'click' as is_click,
        event_type in ('unsubscribe', 'spam_report') as is_unsubscribe
    from {{ ref('int_email_events_attributed') }}
    where (event_type = 'open' and not is_machine_open) or event_type in ('click', 'unsubscribe', 'spam_report')
),

order_windows as (
    select
        assignments.assignment_id,
        max(case when orders.ordered_at >= assignments.exposed_at and orders.is_completed then 1 else 0 end)
            as conversion_post,
        max(case when orders.ordered_at < assignments.exposed_at and orders.is_completed then 1 else 0 end)
            as conversion_pre,
        sum(case when orders.ordered_at >= assignments.exposed_at then orders.net_revenue else 0 end)
            as revenue_post,
        sum(case when orders.ordered_at < assignments.exposed_at then orders.net_revenue else 0 end)
            as revenue_pre
    from assignments
    inner join orders
        on assignments.customer_id = orders.customer_id
        and assignments.pre_window_starts_at <= orders.ordered_at
        and assignments.window_ends_at > orders.ordered_at
    group by assignments.assignment_id
),

web_windows as (
    select
        assignments.assignment_id,
        max(case when web_events.occurred_at >= assignments.exposed_at then 1 else 0 end) as visit_post,
        max(case when web_events.occurred_at < assignments.exposed_at then 1 else 0 end) as visit_pre
    from assignments
    inner join web_events
        on assignments.customer_id = web_events.customer_id
        and assignments.pre_window_starts_at <= web_events.occurred_at
        and assignments.window_ends_at > web_events.occurred_at
    group by assignments.assignment_id
),

email_windows as (
    select
        assignments.assignment_id,
        cast(bool_or(email_events.is_human_open and email_events.occurred_at >= assignments.exposed_at) as integer)
            as open_post,
        cast(bool_or(email_events.is_human_open and email_events.occurred_at < assignments.exposed_at) as integer)
            as open_pre,
        cast(bool_or(email_events.is_click and email_events.occurred_at >= assignments.exposed_at) as integer)
            as click_post,
        cast(bool_or(email_events.is_click and email_events.occurred_at < assignments.exposed_at) as integer)
            as click_pre,
        cast(bool_or(email_events.is_unsubscribe and email_events.occurred_at >= assignments.exposed_at) as integer)
            as unsubscribe_post,
        cast(bool_or(email_events.is_unsubscribe and email_events.occurred_at < assignments.exposed_at) as integer)
            as unsubscribe_pre
    from assignments
    inner join email_events
        on assignments.customer_id = email_events.customer_id
        and assignments.pre_window_starts_at <= email_events.occurred_at
        and assignments.window_ends_at > email_events.occurred_at
    group by assignments.assignment_id
),

-- any email event at all (the email metrics are left out without), read from
-- the table: a second read of email_events made DuckDB hold all its rows
has_email_events as (
    select count(*) > 0 as has_email_events
    from {{ ref('int_email_events_attributed') }}
),

unit_values as (
    select
        assignments.*,
        coalesce(web_windows.visit_post, 0) as visit_post,
        coalesce(web_windows.visit_pre, 0) as visit_pre,
        coalesce(order_windows.conversion_post, 0) as conversion_post,
        coalesce(order_windows.conversion_pre, 0) as conversion_pre,
        coalesce(order_windows.revenue_post, 0) as revenue_post,
        coalesce(order_windows.revenue_pre, 0) as revenue_pre,
        {%- for metric in email_metrics %}
        coalesce(email_windows.{{ metric }}_post, 0) as {{ metric }}_post,
        coalesce(email_windows.{{ metric }}_pre, 0) as {{ metric }}_pre,
        {%- endfor %}
        has_email_events.has_email_events
    from assignments
    cross join has_email_events
    left join order_windows
        on assignments.assignment_id = order_windows.assignment_id
    left join web_windows
        on assignments.assignment_id = web_windows.assignment_id
    left join email_windows
        on assignments.assignment_id = email_windows.assignment_id
),

unit_metrics as (
    {%- for metric in var('experiment_metrics') %}
    select
        assignment_id,
        experiment_id,
        customer_id,
        variant,
        exposed_at,
        {{ quote_literal(metric) }} as metric,
        {{ 'false' if metric == 'revenue' else 'true' }} as is_binary,
        cast({{ metric }}_post as double) as metric_value,
        cast({{ metric }}_pre as double) as pre_exposure_value
    from unit_values
    {%- if metric in email_metrics %}
    where has_email_events
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from unit_metrics
