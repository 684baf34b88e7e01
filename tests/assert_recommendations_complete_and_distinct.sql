-- Every known customer in dim_customers gets exactly var recommendations_top_n
-- recommendations, ranked 1..N, no product twice, never an inactive product
-- (as long as the active catalogue holds N products), and an anonymous one (a
-- browser known only by its anonymous id) none. Returns the offenders.

{%- set top_n = var('recommendations_top_n') %}

with

active_products as (
    select count(*) as n
    from {{ ref('stg_shop__products') }}
    where is_active
),

-- the customers with a product twice: one grouping by pair (a count(distinct)
-- per customer held a set per customer, about half the test's time at
-- 1,000,000 contacts, issue 15)
repeated_pairs as (
    select customer_id
    from {{ ref('fct_customer_recommendations') }}
    where product_id is not null
    group by customer_id, product_id
    having count(*) > 1
),

repeated_products as (
    select distinct customer_id
    from repeated_pairs
),

per_customer as (
    select
        customers.customer_id,
        customers.is_known,
        count(recommendations.product_id) as n_recommendations,
        {%- if top_n | int <= 62 %}
        -- ranks 1..n, each once: n ranks between 1 and n that set all n bits (a second
        -- count(distinct) grouped all 13 M rows again at 1,000,000 contacts, issue 15)
        coalesce(bit_or(
            case
                when recommendations.rank between 1 and {{ top_n }}
                    then cast(power(2, recommendations.rank - 1) as bigint)
            end
        ), 0) as rank_bits,
        count(*) filter (
            where recommendations.rank is not null and recommendations.rank not between 1 and {{ top_n }}
        ) as n_ranks_out_of_range,
        {%- else %}
        count(distinct recommendations.rank) as n_ranks,
        {%- endif %}
        coalesce(max(recommendations.rank), 0) as max_rank,
        count(*) filter (where not products.is_active) as n_inactive
    from {{ ref('dim_customers') }} as customers
    left join {{ ref('fct_customer_recommendations') }} as recommendations
        on customers.customer_id = recommendations.customer_id
    left join {{ ref('stg_shop__products') }} as products
        on recommendations.product_id = products.product_id
    group by customers.customer_id, customers.is_known
)

select
    per_customer.*,
    repeated_products.customer_id is not null as has_repeated_product
from per_customer
cross join active_products
left join repeated_products
    on per_customer.customer_id = repeated_products.customer_id
where per_customer.n_recommendations
    != case when per_customer.is_known then least({{ top_n }}, active_products.n) else 0 end
    or repeated_products.customer_id is not null
    {%- if top_n | int <= 62 %}
    or per_customer.rank_bits != cast(power(2, per_customer.n_recommendations) as bigint) - 1
    or per_customer.n_ranks_out_of_range > 0
    {%- else %}
    or per_customer.n_ranks != per_customer.n_recommendations
    {%- endif %}
    or per_customer.max_rank != per_customer.n_recommendations
    or per_customer.n_inactive > 0
