{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='events_rolled_to_days',
    on_schema_change='sync_all_columns',
    pre_hook="{{ changed_customers_log_full_build() }}",
    post_hook="{{ events_rolled_to_days_save('web') }}",
) }}
{#-
    The attributed web events rolled up per customer, UTC day, session and
    viewed category: what the web features and the top category count and the
    latest event (macros/events_rolled_to_days.sql). The features read these
    rows for the whole days before a cut-off, not the events.

    Incremental on DuckDB: a run rolls up again only the customer days
    int_web_events_sessionized logged as changed; the table equals what a full
    build makes.
-#}
{%- set plan = events_rolled_to_days_plan('web') %}
{{ events_rolled_to_days_marker(plan) }}
{{ events_rolled_to_days_sql('web', events_rolled_to_days_changed(plan) if plan.log is not none else none) }}
