with

cutoffs as (
    select {{ as_of_timestamp() }} as cutoff_at
),

customer_features as (
    {{ customer_features_at('cutoffs') | indent(4) }}
)

select * from customer_features
