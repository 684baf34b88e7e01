{{ config(
    materialized=('incremental' if target.type == 'duckdb' else 'table'),
    incremental_strategy='customer_features',
    post_hook="{{ customer_features_save() }}",
) }}

{#-
    One row per customer as of as_of_date: the features of the macro
    customer_features_at at one cut-off, as_of. A table: the ML steps (training,
    scoring, drift, recommendations) read it here, below the marts, and
    fct_customer_features publishes it with a contract.

    On DuckDB a run after the first computes again only the customers whose
    events, orders or windows moved since the stored cut-off, and moves the
    others' stored rows to the new one in place (strategy customer_features,
    macros/customer_features_refresh.sql); the table equals what a full build
    makes.
#}
{%- set plan = customer_features_plan() %}
{{ customer_features_marker(plan) }}

with

cutoffs as (
    select {{ as_of_timestamp() }} as cutoff_at
),

{%- if plan.changed is none %}

customer_features as (
    {{ customer_features_at('cutoffs', at=as_of_timestamp()) | indent(4) }}
)

select * from customer_features
{%- else %}

changed_customers as (
    select customer_id from {{ plan.changed }}
),

-- only the changed customers: the strategy moves the others' stored rows
recomputed as (
    {{ customer_features_at('cutoffs', 'changed_customers', at=as_of_timestamp()) | indent(4) }}
)

select * from recomputed
{%- endif %}
