{#-
    The recommendation slots of fct_customer_personalization: for every
    customer it holds a row for (contactable by their primary email), var
    export_recommendations products, best first, one row per slot. The
    recommender's list (fct_customer_recommendations, by rank) comes first,
    then the bestsellers of the customer's top category, then overall
    bestsellers, each product once, in the first place it earns. Customers in
    the global holdout get overall bestsellers only.

    Each of the three lists is cut to its best n products per customer before
    they are merged: the first n distinct products of the lists in that order
    are always among them. So the windows that merge and number the slots see
    at most 3n narrow rows per customer, not every recommendation with its
    strings; the mart then takes one join per slot. (At 1,000,000 contacts the
    mart's former group-by pivot ran out of DuckDB's 2 GB.)
-#}

{%- set n_recs = number_var('export_recommendations') | int %}

with

customers as (
    select distinct customer_id
    from {{ ref('fct_contactability') }}
    where is_primary_email and is_contactable
),

holdout as (
    select distinct customer_id
    from {{ ref('fct_experiment_assignments') }}
    where is_global_holdout
),

eligible as (
    select
        customers.customer_id,
        features.top_category,
        holdout.customer_id is not null as is_global_holdout
    from customers
    left join {{ ref('fct_customer_features') }} as features
        on customers.customer_id = features.customer_id
    left join holdout
        on customers.customer_id = holdout.customer_id
),

bestsellers as (
    select
        product_id,
        category,
        category_rank,
        overall_rank
    from {{ ref('int_bestsellers') }}
),

personal as (
    select
        recommendations.customer_id,
        recommendations.product_id,
        recommendations.rank as preference,
        recommendations.source as recommendation_source
    from {{ ref('fct_customer_recommendations') }} as recommendations
    inner join eligible
        on recommendations.customer_id = eligible.customer_id
    where not eligible.is_global_holdout
    qualify
        row_number() over (
            partition by recommendations.customer_id order by recommendations.rank, recommendations.product_id
        ) <= {{ n_recs }}
),

-- every product a customer could be shown in a slot, best first
candidates as (
    select
        customer_id,
        product_id,
        preference,
        recommendation_source
    from personal
    union all
    select
        eligible.customer_id,
        bestsellers.product_id,
        1000 + bestsellers.category_rank as preference,
        'category_bestsellers' as recommendation_source
    from eligible
    inner join bestsellers
        on eligible.top_category = bestsellers.category
        and bestsellers.category_rank <= {{ n_recs }}
    where not eligible.is_global_holdout
    union all
    select
        eligible.customer_id,
        bestsellers.product_id,
        2000 + bestsellers.overall_rank as preference,
        'bestsellers' as recommendation_source
    from eligible
    cross join bestsellers
    where bestsellers.overall_rank <= {{ n_recs }}
),

-- each product once per customer, where it ranks best
deduplicated as (
    select
        customer_id,
        product_id,
        preference,
        recommendation_source
    from candidates
    qualify row_number() over (partition by customer_id, product_id order by preference) = 1
)

select
    customer_id,
    cast(slot as integer) as slot,
    product_id,
    recommendation_source
from (
    select
        customer_id,
        product_id,
        recommendation_source,
        row_number() over (partition by customer_id order by preference) as slot
    from deduplicated
) as numbered
where slot <= {{ n_recs }}
