{#-
    One row per calendar month: what personalisation earns against the global
    holdout (Welch intervals from int_programme_impact_computed, the statistics
    of rpt_experiment_results) and what the programme cost (seeds/programme_costs),
    with the ROI and its interval.
-#}

with

results as (
    select * from {{ ref('int_programme_impact_computed') }}
),

email_events as (
    select * from {{ ref('int_email_events_attributed') }}
),

costs as (
    select
        programme_costs.valid_from,
        coalesce(
            lead(programme_costs.valid_from) over (order by programme_costs.valid_from), date '9999-12-31'
        ) as valid_to,
        {{ to_base_currency('programme_costs.cost_per_send', 'rates') }} as cost_per_send,
        {{ to_base_currency('programme_costs.cost_per_campaign', 'rates') }} as cost_per_campaign,
        {{ to_base_currency('programme_costs.fixed_monthly_cost', 'rates') }} as fixed_monthly_cost
    from {{ ref('programme_costs') }} as programme_costs
    inner join {{ ref('exchange_rates') }} as rates
        on programme_costs.currency = rates.currency_code
),

treated as (
    select * from results
    where not cast(is_control as boolean)
),

control as (
    select * from results
    where cast(is_control as boolean)
),

months as (
    select
        cast(treated.group_month as date) as month_start,
        max(cast(treated.n_units as bigint)) as customers_personalized,
        max(cast(control.n_units as bigint)) as customers_holdout,
        max(treated.value) filter (where treated.metric = 'conversion') as conversion_rate_personalized,
        max(control.value) filter (where treated.metric = 'conversion') as conversion_rate_holdout,
        max(treated.absolute_lift) filter (where treated.metric = 'conversion') as incremental_conversion_rate,
        max(treated.ci_lower) filter (where treated.metric = 'conversion') as incremental_conversion_rate_ci_lower,
        max(treated.ci_upper) filter (where treated.metric = 'conversion') as incremental_conversion_rate_ci_upper,
        max(treated.p_value) filter (where treated.metric = 'conversion') as conversion_p_value,
        max(treated.value) filter (where treated.metric = 'revenue') as revenue_per_customer_personalized,
        max(control.value) filter (where treated.metric = 'revenue') as revenue_per_customer_holdout,
        max(treated.absolute_lift) filter (where treated.metric = 'revenue') as incremental_revenue_per_customer,
        max(treated.ci_lower) filter (where treated.metric = 'revenue')
            as incremental_revenue_per_customer_ci_lower,
        max(treated.ci_upper) filter (where treated.metric = 'revenue')
            as incremental_revenue_per_customer_ci_upper,
        max(treated.p_value) filter (where treated.metric = 'revenue') as revenue_p_value,
        bool_or(cast(treated.is_low_data as boolean)) as is_low_data
    from treated
    inner join control
        on treated.experiment_id = control.experiment_id
        and treated.metric = control.metric
        and treated.group_month = control.group_month
    group by cast(treated.group_month as date)
),

sends as (
    select
        cast(date_trunc('month', occurred_at) as date) as month_start,
        count(*) as sends,
        count(distinct campaign_id) as campaigns
    from email_events
    where event_type = 'sent'
    group by cast(date_trunc('month', occurred_at) as date)
),

months_costed as (
    select
        months.*,
        coalesce(sends.sends, 0) as sends,
        coalesce(sends.campaigns, 0) as campaigns,
        coalesce(sends.sends, 0) * costs.cost_per_send as send_cost,
        coalesce(sends.campaigns, 0) * costs.cost_per_campaign as campaign_cost,
        costs.fixed_monthly_cost as fixed_cost,
        months.month_start + interval '1 month' > {{ as_of_timestamp() }} as is_partial_month
    from months
    left join sends
        on months.month_start = sends.month_start
    left join costs
        on months.month_start >= costs.valid_from
        and months.month_start < costs.valid_to
),

totals as (
    select
        *,
        send_cost + campaign_cost + fixed_cost as total_cost,
        -- per-customer differences scaled to everyone who got personalisation that month
        incremental_conversion_rate * customers_personalized as incremental_conversions,
        incremental_revenue_per_customer * customers_personalized as incremental_revenue,
        incremental_revenue_per_customer_ci_lower * customers_personalized as incremental_revenue_ci_lower,
        incremental_revenue_per_customer_ci_upper * customers_personalized as incremental_revenue_ci_upper
    from months_costed
)

select
    month_start,
    is_partial_month,
    customers_holdout,
    customers_personalized,
    cast(conversion_rate_holdout as double) as conversion_rate_holdout,
    cast(conversion_rate_personalized as double) as conversion_rate_personalized,
    cast(incremental_conversion_rate as double) as incremental_conversion_rate,
    cast(incremental_conversion_rate_ci_lower as double) as incremental_conversion_rate_ci_lower,
    cast(incremental_conversion_rate_ci_upper as double) as incremental_conversion_rate_ci_upper,
    cast(conversion_p_value as double) as conversion_p_value,
    cast(incremental_conversions as double) as incremental_conversions,
    cast(revenue_per_customer_holdout as double) as revenue_per_customer_holdout,
    cast(revenue_per_customer_personalized as double) as revenue_per_customer_personalized,
    cast(incremental_revenue_per_customer as double) as incremental_revenue_per_customer,
    cast(incremental_revenue_per_customer_ci_lower as double) as incremental_revenue_per_customer_ci_lower,
    cast(incremental_revenue_per_customer_ci_upper as double) as incremental_revenue_per_customer_ci_upper,
    cast(revenue_p_value as double) as revenue_p_value,
    cast(incremental_revenue as double) as incremental_revenue,
    cast(incremental_revenue_ci_lower as double) as incremental_revenue_ci_lower,
    cast(incremental_revenue_ci_upper as double) as incremental_revenue_ci_upper,
    cast(sends as bigint) as sends,
    cast(campaigns as bigint) as campaigns,
    cast(send_cost as double) as send_cost,
    cast(campaign_cost as double) as campaign_cost,
    cast(fixed_cost as double) as fixed_cost,
    cast(total_cost as double) as total_cost,
    cast((incremental_revenue - total_cost) / nullif(total_cost, 0) as double) as roi,
    cast((incremental_revenue_ci_lower - total_cost) / nullif(total_cost, 0) as double) as roi_ci_lower,
    cast((incremental_revenue_ci_upper - total_cost) / nullif(total_cost, 0) as double) as roi_ci_upper,
    is_low_data,
    {{ base_currency_literal() }} as currency
from totals
