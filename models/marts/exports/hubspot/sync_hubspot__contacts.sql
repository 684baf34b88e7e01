{#-
    HubSpot contacts: email plus lowercase snake_case properties (email,
    firstname and lastname are HubSpot's own; the rest are custom properties
    defined in seeds/hubspot_properties.csv, with the options of every
    enumeration). customer_lifecycle_stage avoids HubSpot's built-in
    lifecyclestage.

    Values are the data or null, never '': HubSpot clears a property set to an
    empty string, so a blank would erase a name it already holds. Date
    properties are epoch milliseconds at midnight UTC, the only form HubSpot
    accepts for them; datetime properties are epoch milliseconds of the
    instant.
#}

with

personalization as (
    select * from {{ ref('fct_customer_personalization') }}
),

content as (
    select
        email,
        first_name as firstname,
        last_name as lastname,
        customer_id as ep_customer_id,
        rfm_segment,
        coalesce(lifecycle_stage, 'default') as customer_lifecycle_stage,
        engagement_tier,
        action_tier,
        top_category,
        cast(send_hour_utc as integer) as best_send_hour_utc,
        -- days since 1970-01-01 in milliseconds: midnight UTC of that date
        cast(
            {{ dbt.datediff("cast('1970-01-01' as date)", 'expected_next_order_date', 'day') }} as bigint  -- noqa: LT05
        ) * 86400000 as expected_next_order_date,
        -- a datetime property: epoch milliseconds of the instant (UTC)
        {{ epoch_milliseconds('last_order_at') }} as last_order_at,
        {{- export_recommendation_columns('rec_{slot}_{field}') }}
        is_global_holdout as in_global_holdout
    from personalization
)

{{ select_with_change_tracking('content', 'email') }}
