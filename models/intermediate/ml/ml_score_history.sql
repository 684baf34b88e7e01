-- depends_on: {{ ref('stg_erasure__identifiers') }}

{#-
    The history of the scores: every scoring run appends one row per scored
    customer (ml_customer_scores) with the predictions and versions of the
    day and the customer's recommended products (ml_customer_recommendations),
    so a later run can compare what was predicted one horizon ago with what
    then happened (rpt_model_monitoring, rpt_customer_cohort_clv).
    Append-only and never rebuilt (full_refresh false). Retention (the first
    post-hook, _score_history__models.yml): one run per as_of day, the latest,
    so an hourly score_only keeps one run a day, and no run whose as_of is
    more than var score_history_retention_days before this run's. An erased
    person leaves no trace: their rows are never appended and the second
    post-hook deletes any row of theirs already kept, under every customer id
    they could have held (int_erased_customers, and the hashes of their
    identifiers in stg_erasure__identifiers), as int_customer_external_ids
    does.
-#}

{%- set run_at = "cast('" ~ run_started_at.strftime("%Y-%m-%d %H:%M:%S") ~ "' as timestamp)" %}

with

scores as (
    select * from {{ ref('ml_customer_scores') }}
),

recommendations as (
    select * from {{ ref('ml_customer_recommendations') }}
),

erased as (
    select customer_id from {{ ref('int_erased_customers') }}
),

recommended_lists as (
    select
        customer_id,
        {{ ordered_list('product_id', 'rank') }} as recommended_product_ids,
        min(model_version) as recommendations_model_version
    from recommendations
    group by customer_id
),

scored as (
    select
        scores.customer_id,
        cast(scores.purchase_propensity as double) as purchase_propensity,
        cast(scores.model_version as {{ dbt.type_string() }}) as propensity_model_version,
        cast(scores.churn_risk as double) as churn_risk,
        {{ json_text('scores.scored_with_versions', "'$.churn'") }} as churn_model_version,
        cast(scores.predicted_clv as decimal(18, 2)) as predicted_clv,
        {{ json_text('scores.scored_with_versions', "'$.clv'") }} as clv_model_version,
        recommended_lists.recommended_product_ids,
        recommended_lists.recommendations_model_version,
        cast(scores.is_fallback as boolean) as is_fallback
    from scores
    left join recommended_lists
        on scores.customer_id = recommended_lists.customer_id
    where
        not exists (
            select 1
            from erased
            where erased.customer_id = scores.customer_id
        )
)

select
    md5(customer_id || '|' || cast({{ run_at }} as {{ dbt.type_string() }})) as score_history_id,
    {{ run_at }} as scored_at,
    {{ as_of_timestamp() }} as as_of_at,
    cast({{ number_var('propensity_horizon_days') }} as integer) as horizon_days,
    customer_id,
    purchase_propensity,
    propensity_model_version,
    churn_risk,
    churn_model_version,
    predicted_clv,
    clv_model_version,
    recommended_product_ids,
    recommendations_model_version,
    is_fallback
from scored
