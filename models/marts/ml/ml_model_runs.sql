{#-
    The model registry: every registered model, predictive and recommender,
    one row per model and retrain. The two families train in their own nodes
    (ml_predictive_model_runs, ml_recommender_runs) so dbt runs them in parallel.
#}

select * from {{ ref('ml_predictive_model_runs') }}
union all by name
select * from {{ ref('ml_recommender_runs') }}
