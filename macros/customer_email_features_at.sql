{% macro customer_email_features_at(population, customers=none, cutoffs=none, carry=false, at=none) %}
    {#- Email engagement features of each row of `population` (a CTE name or
        relation with one row per customer_id and cutoff_at): campaigns sent,
        delivered, opened and clicked in the trailing 30 and 90 days before the
        cut-off and their rates, the last open, click and negative event, and
        the hour (UTC) the customer usually opens. Machine opens do not count;
        a click counts as an open.
        `customers`, `cutoffs`, `carry` and `at`: as for every family (macro
        feature_family_keys, macros/customer_population_at.sql). -#}
with

population_cutoffs as (
    select distinct cutoff_at
    from {{ cutoffs or population }}
),

-- the rollup's rows of whole days before each cut-off and the events of the
-- other days (macros/events_rolled_to_days.sql); read where it is used, not
-- copied (not_materialized: a copy of every event was most of the features'
-- time at 1,000,000 contacts), but for a few customers (the hourly refresh),
-- whose rows are cheaper to copy than to find again in every table
email_rows as {{ not_materialized() if not customers }} (
    {{ events_rolled_to_days_rows('email', 'population_cutoffs', customers, at) | indent(4) }}
),

-- one row per cut-off, customer and campaign: did each kind of event happen
-- in each window (a group-by is much cheaper than count(distinct) per window).
-- Only the rows of the longest window join: the whole history before each
-- cut-off at this grain made a hash table several times larger (issue 15)
email_campaigns as (
    select
        cutoff_at,
        customer_id,
        campaign_id,
        {%- for days in [30, 90] %}
        {%- for kind in ['sent', 'delivered', 'opened', 'clicked'] %}
        bool_or(
            {{ kind }}_events > 0 and row_at >= cutoff_at - interval '{{ days }} days'
        ) as {{ kind }}_{{ days }}d{{ ',' if not (loop.last and days == 90) }}
        {%- endfor %}
        {%- endfor %}
    from email_rows
    where row_at >= cutoff_at - interval '90 days'
    group by cutoff_at, customer_id, campaign_id
),

email_totals as (
    select
        cutoff_at,
        customer_id,
        {%- for days in [30, 90] %}
        {%- for kind in ['sent', 'delivered', 'opened', 'clicked'] %}
        -- events without a campaign count for the last-event times only, as count(distinct) would
        count(*) filter (
            where {{ kind }}_{{ days }}d and campaign_id is not null
        ) as emails_{{ kind }}_{{ days }}d{{ ',' if not (loop.last and days == 90) }}
        {%- endfor %}
        {%- endfor %}
    from email_campaigns
    group by cutoff_at, customer_id
),

-- the last events come from the whole history before the cut-off, one row per cut-off and customer
email_last_events as (
    select
        cutoff_at,
        customer_id,
        max(last_open_at) as last_open_at,
        max(last_click_at) as last_click_at,
        max(last_negative_at) as last_negative_email_event_at
    from email_rows
    where last_open_at is not null or last_click_at is not null or last_negative_at is not null
    group by cutoff_at, customer_id
),

open_hours as (
    select
        cutoff_at,
        customer_id,
        open_hour_utc,
        sum(human_opens) as opens
    from email_rows
    where open_hour_utc is not null
    group by cutoff_at, customer_id, open_hour_utc
),

usual_open_hours as (
    select
        cutoff_at,
        customer_id,
        -- the most frequent hour; ties go to the earliest hour
        max_by(open_hour_utc, opens * 100 - open_hour_utc) as usual_open_hour_utc
    from open_hours
    group by cutoff_at, customer_id
)

select
    {{- feature_family_keys(carry) }}
    {%- for days in [30, 90] %}
    coalesce(email_totals.emails_sent_{{ days }}d, 0) as emails_sent_{{ days }}d,
    coalesce(email_totals.emails_delivered_{{ days }}d, 0) as emails_delivered_{{ days }}d,
    coalesce(email_totals.emails_opened_{{ days }}d, 0) as emails_opened_{{ days }}d,
    coalesce(email_totals.emails_clicked_{{ days }}d, 0) as emails_clicked_{{ days }}d,
    round(
        email_totals.emails_opened_{{ days }}d
        / nullif(greatest(email_totals.emails_delivered_{{ days }}d, email_totals.emails_opened_{{ days }}d), 0),
        4
    ) as open_rate_{{ days }}d,
    round(
        email_totals.emails_clicked_{{ days }}d
        / nullif(greatest(email_totals.emails_delivered_{{ days }}d, email_totals.emails_clicked_{{ days }}d), 0),
        4
    ) as click_rate_{{ days }}d,
    {%- endfor %}
    email_last_events.last_open_at,
    email_last_events.last_click_at,
    email_last_events.last_negative_email_event_at,
    usual_open_hours.usual_open_hour_utc
from {{ population }} as population
left join email_totals
    on population.customer_id = email_totals.customer_id
    and population.cutoff_at = email_totals.cutoff_at
left join email_last_events
    on population.customer_id = email_last_events.customer_id
    and population.cutoff_at = email_last_events.cutoff_at
left join usual_open_hours
    on population.customer_id = usual_open_hours.customer_id
    and population.cutoff_at = usual_open_hours.cutoff_at
{% endmacro %}
