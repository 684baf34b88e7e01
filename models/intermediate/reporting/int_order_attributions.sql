{{ config(materialized='table') }}

{#-
    One row per completed order, attribution model and credited touchpoint:
    the share of the order (credit) and of its net revenue in the base
    currency each touch earns. Orders with no touch in a model's window have
    no row for that model (they stay unattributed). Windows and weights are
    the attribution_* vars (dbt_project.yml).
-#}

{%- set weights = var('attribution_position_weights') -%}
{%- if weights is string or weights is not iterable or weights | length != 3 -%}
{{ exceptions.raise_compiler_error(
    "var attribution_position_weights must be three numbers (first, middle, last); got " ~ (weights | string)[:80]
) }}
{%- endif -%}
{%- for weight in weights if weight is not number or weight is boolean or weight < 0 -%}
{{ exceptions.raise_compiler_error(
    "var attribution_position_weights: " ~ (weight | string)[:80] ~ " is not a non-negative number"
) }}
{%- endfor -%}
{#- the weights as doubles: decimal division rounds to 6 places on Spark -#}
{%- set first_weight, middle_weight, last_weight = weights -%}
{%- set first_weight = 'cast(' ~ first_weight ~ ' as double)' -%}
{%- set middle_weight = 'cast(' ~ middle_weight ~ ' as double)' -%}
{%- set last_weight = 'cast(' ~ last_weight ~ ' as double)' -%}

with

orders as (
    select
        order_id,
        customer_id,
        ordered_at,
        net_revenue
    from {{ ref('int_orders_attributed') }}
    where is_completed
),

touches as (
    select * from {{ ref('int_campaign_touchpoints') }}
),

-- every touch at or before the order and within the longest window
order_touches as (
    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at,
        orders.net_revenue,
        touches.touch_id,
        touches.touch_type,
        touches.campaign_id,
        touches.touched_at
    from orders
    inner join touches
        on orders.customer_id = touches.customer_id
        and orders.ordered_at >= touches.touched_at
        and {{ dbt.dateadd(
            'day',
            '-greatest('
            ~ number_var('attribution_click_window_days') ~ ', '
            ~ number_var('attribution_touch_window_days') ~ ', '
            ~ number_var('attribution_multi_touch_window_days') ~ ')',
            'orders.ordered_at'
        ) }} <= touches.touched_at
),

last_click as (
    select
        'last_click' as attribution_model,
        *,
        1.0 as credit
    from order_touches
    where touch_type = 'email_click'
        and touched_at >= {{ dbt.dateadd('day', '-' ~ number_var('attribution_click_window_days'), 'ordered_at') }}
    qualify row_number() over (partition by order_id order by touched_at desc, touch_id desc) = 1
),

last_touch as (
    select
        'last_touch' as attribution_model,
        *,
        1.0 as credit
    from order_touches
    where touch_type in ('email_delivery', 'email_open', 'email_click')
        and touched_at >= {{ dbt.dateadd('day', '-' ~ number_var('attribution_touch_window_days'), 'ordered_at') }}
    qualify row_number() over (partition by order_id order by touched_at desc, touch_id desc) = 1
),

multi_touches as (
    select
        *,
        row_number() over (partition by order_id order by touched_at, touch_id) as touch_position,
        count(*) over (partition by order_id) as touch_count
    from order_touches
    where touch_type in ('email_click', 'web_session')
        and touched_at
        >= {{ dbt.dateadd('day', '-' ~ number_var('attribution_multi_touch_window_days'), 'ordered_at') }}
),

-- one touch takes everything; two split first and last; from three on the
-- middle touches share the middle weight (weights normalised to sum to 1)
position_based as (
    select
        'position_based' as attribution_model,
        order_id,
        customer_id,
        ordered_at,
        net_revenue,
        touch_id,
        touch_type,
        campaign_id,
        touched_at,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 and touch_position = 1
                then {{ first_weight }} / nullif({{ first_weight }} + {{ last_weight }}, 0)
            when touch_count = 2
                then {{ last_weight }} / nullif({{ first_weight }} + {{ last_weight }}, 0)
            when touch_position = 1
                then {{ first_weight }} / ({{ first_weight }} + {{ middle_weight }} + {{ last_weight }})
            when touch_position = touch_count
                then {{ last_weight }} / ({{ first_weight }} + {{ middle_weight }} + {{ last_weight }})
            else {{ middle_weight }} / ({{ first_weight }} + {{ middle_weight }} + {{ last_weight }})
                / (touch_count - 2)
        end as credit
    from multi_touches
),

attributions as (
    select * from last_click
    union all
    select * from last_touch
    union all
    select * from position_based
)

select
    order_id,
    customer_id,
    ordered_at,
    attribution_model,
    touch_id,
    touch_type,
    campaign_id,
    touched_at,
    cast(credit as double) as credit,
    cast(credit * net_revenue as double) as attributed_revenue,
    {{ base_currency_literal() }} as currency
from attributions
