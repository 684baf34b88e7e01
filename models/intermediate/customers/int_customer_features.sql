{#-
    One row per customer as of as_of_date: the features of the macro
    customer_features_at at one cut-off, as_of. A table: the ML steps (training,
    scoring, drift, recommendations) read it here, below the marts, and
    fct_customer_features publishes it with a contract.
-#}

with

cutoffs as (
    select {{ as_of_timestamp() }} as cutoff_at
),

customer_features as (
    {{ customer_features_at('cutoffs') | indent(4) }}
)

select * from customer_features
