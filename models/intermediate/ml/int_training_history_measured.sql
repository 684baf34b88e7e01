{#-
    What the training plan is chosen from (int_training_cutoffs_planned), in
    one row: as_of, the first completed order before it and the customers
    first seen before it — the population and order features of
    fct_customer_features at as_of, measured by the same macros, so the plan
    reads no mart.
-#}

with

cutoffs as (
    select {{ as_of_timestamp() }} as cutoff_at
),

population as (
    {{ customer_population_at('cutoffs') | indent(4) }}
),

order_features as (
    {{ customer_order_features_at('population') | indent(4) }}
)

select
    max(cutoff_at) as as_of_at,
    min(first_order_at) as first_order_at,
    count(*) as customers
from order_features
