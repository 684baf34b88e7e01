{{ config(post_hook="{{ customer_features_save() }}") }}

{#-
    One row per customer as of as_of_date: the features of the macro
    customer_features_at at one cut-off, as_of. A table: the ML steps (training,
    scoring, drift, recommendations) read it here, below the marts, and
    fct_customer_features publishes it with a contract.

    On DuckDB a run after the first computes again only the customers whose
    events, orders or windows moved since the stored cut-off, and moves the
    others' stored rows to the new one (macros/customer_features_refresh.sql);
    the table equals what a full build makes.
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

population as (
    {{ customer_population_at('cutoffs') | indent(4) }}
),

changed_customers as (
    select customer_id from {{ plan.changed }}
),

recomputed as (
    {{ customer_features_at('cutoffs', 'changed_customers', at=as_of_timestamp()) | indent(4) }}
),

kept as (
    {{ customer_features_kept_sql('population', this, 'changed_customers') | indent(4) }}
)

select * from recomputed
union all
select * from kept
{%- endif %}
