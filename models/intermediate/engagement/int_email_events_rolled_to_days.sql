{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='events_rolled_to_days',
    on_schema_change='sync_all_columns',
    pre_hook="{{ changed_customers_log_full_build() }}",
    post_hook="{{ events_rolled_to_days_save('email') }}",
) }}
{#-
    The attributed email events rolled up per customer, UTC day, campaign and
    hour of a person's open: what the email features count and the latest
    open, click and negative event (macros/events_rolled_to_days.sql). The
    features read these rows for the whole days before a cut-off, not the
    events.

    Incremental on DuckDB: a run rolls up again only the customer days
    int_email_events_attributed logged as changed; the table equals what a full
    build makes.
-#}
{%- set plan = events_rolled_to_days_plan('email') %}
{{ events_rolled_to_days_marker(plan) }}
{{ events_rolled_to_days_sql('email', events_rolled_to_days_changed(plan) if plan.log is not none else none) }}
