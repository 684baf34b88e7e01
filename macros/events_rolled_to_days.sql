{#- Daily per-customer rollups of the attributed events, and how the feature
    families read them (issue 15).

    int_email_events_rolled_to_days and int_web_events_rolled_to_days hold one
    row per customer, UTC day and key (campaign and open hour; session and
    viewed category) with the counts and latest times the features need
    (macro events_rolled_to_days_spec). A feature at cut-off T reads
    - the rollup's rows of the days before T's day, but for the days a trailing
      window starts within (T - 30 days, T - 90 days) when T is not a midnight;
    - the events themselves of those excepted days and of T's own day before T
      (only when T is not a midnight: the nightly build's and the training
      snapshots' cut-offs at midnight read no event).
    Each row carries row_at: its day's midnight, or the event's time. No day of
    the rollup straddles a window's start, so "row_at >= T - n days" puts each
    row wholly in or out of the window and the features equal those computed
    from the events (the unit test features_within_a_day_read_the_events_of_partial_days
    of int_customer_features, and tests/python/test_incremental_events_end_to_end.py).

    On DuckDB the rollups are incremental (strategy events_rolled_to_days): a
    run rolls up again only the (customer, day) pairs the attributing model
    logged as changed in its change log (macros/changed_customers_log.sql),
    empties that log, and logs the customers it changed in its own, which
    int_customer_features reads. Elsewhere they are tables. -#}

{% macro events_rolled_to_days_spec(kind) %}
    {#- What a rollup reads and keeps: `events` (the attributed events), `rolled`
        (the rollup's name: a ref here would make the rollup its own parent), `keys` and
        `measures` ({name: [SQL of one event, aggregate]}, in order). Only events with a
        customer count. -#}
    {%- set human_open = "event_type = 'open' and not is_machine_open" %}
    {%- if kind == 'email' %}
    {{ return({
        'events': ref('int_email_events_attributed'),
        'rolled': 'int_email_events_rolled_to_days',
        'keys': {
            'campaign_id': 'campaign_id',
            'open_hour_utc': 'case when ' ~ human_open ~ ' then hour(occurred_at) end',
        },
        'measures': {
            'sent_events': ["case when event_type = 'sent' then 1 else 0 end", 'sum'],
            'delivered_events': ["case when event_type = 'delivered' then 1 else 0 end", 'sum'],
            'opened_events': [
                "case when event_type in ('open', 'click') and not is_machine_open then 1 else 0 end", 'sum'
            ],
            'clicked_events': ["case when event_type = 'click' then 1 else 0 end", 'sum'],
            'human_opens': ['case when ' ~ human_open ~ ' then 1 else 0 end', 'sum'],
            'last_open_at': ['case when ' ~ human_open ~ ' then occurred_at end', 'max'],
            'last_click_at': ["case when event_type = 'click' then occurred_at end", 'max'],
            'last_negative_at': [
                "case when event_type in ('unsubscribe', 'spam_report', 'bounce') then occurred_at end", 'max'
            ],
        },
    }) }}
    {%- elif kind == 'web' %}
    {#- The session is a number, session_key: the first 15 hex digits (60 bits) of its md5 session_id. The
        32-character text as a key made the full rollup (27 M groups of 40 M events at 1,000,000 contacts)
        about 5 s slower (docs/operations.md, "Night of 2026-12-07"). Two sessions of one customer would
        need the same 60 bits to count as one: about 4 in 10^13 for a customer with a thousand sessions. -#}
    {{ return({
        'events': ref('int_web_events_sessionized'),
        'rolled': 'int_web_events_rolled_to_days',
        'keys': {
            'session_key': hex_to_bigint('left(session_id, 15)'),
            'viewed_category': "case when event_type = 'product_view' then category end",
        },
        'measures': {
            'product_views': ["case when event_type = 'product_view' then 1 else 0 end", 'sum'],
            'carts': ["case when event_type = 'add_to_cart' then 1 else 0 end", 'sum'],
            'last_event_at': ['occurred_at', 'max'],
        },
    }) }}
    {%- else %}
    {{ exceptions.raise_compiler_error('events_rolled_to_days_spec: no rollup of ' ~ kind) }}
    {%- endif %}
{% endmacro %}

{% macro events_rolled_to_days_window_days() %}
    {#- The trailing windows (days) the features count over the rollups: a day
        one of them starts within is read from the events -#}
    {{ return([30, 90]) }}
{% endmacro %}

{% macro events_rolled_to_days_sql(kind, where=none) %}
    {#- The rollup's select: the events (where `where`, SQL, holds) rolled up
        per customer, UTC day and key -#}
    {%- set spec = events_rolled_to_days_spec(kind) %}
    select
        customer_id,
        cast(occurred_at as date) as activity_date,
        {%- for name, sql in spec['keys'].items() %}
        {{ sql }} as {{ name }},
        {%- endfor %}
        {%- for name, measure in spec['measures'].items() %}
        {%- if measure[1] == 'sum' %}
        cast(sum({{ measure[0] }}) as bigint) as {{ name }}{{ ',' if not loop.last }}
        {%- else %}
        {{ measure[1] }}({{ measure[0] }}) as {{ name }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ spec['events'] }} as events
    where customer_id is not null
        {%- if where %}
        and ({{ where }})
        {%- endif %}
    group by
        customer_id,
        cast(occurred_at as date)
        {%- for sql in spec['keys'].values() %},
        {{ sql }}
        {%- endfor %}
{%- endmacro %}

{% macro events_rolled_to_days_rows(kind, cutoffs, customers=none, at=none) %}
    {#- The rows a feature family reads at each cut-off of `cutoffs` (a relation
        with a column cutoff_at, one row per cut-off): cutoff_at, customer_id,
        the rollup's keys, row_at and its measures, from the rollup for the whole
        days and from the events for the others (top of this file). `customers`
        (a relation with a column customer_id), when given, keeps only theirs.
        `at` (SQL of one constant time), when given, is every cut-off: the same
        days are then also named as constant ranges of occurred_at, which DuckDB
        checks while it scans, before it reads the customer ids (the hourly
        refresh's features read 3 days' events of the 365 instead of joining
        every event's day: at 1,000,000 contacts about 70 M events a run). -#}
    {%- set spec = events_rolled_to_days_spec(kind) %}
    {%- set within_day = 'cutoff_at <> cast(cast(cutoff_at as date) as timestamp)' %}
    select
        rolled_cutoffs.cutoff_at,
        rolled.customer_id,
        {%- for name in spec['keys'] %}
        rolled.{{ name }},
        {%- endfor %}
        cast(rolled.activity_date as timestamp) as row_at,
        {%- for name in spec['measures'] %}
        rolled.{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(spec['rolled']) }} as rolled
    inner join (
        select
            cutoff_at,
            cast(cutoff_at as date) as cutoff_date,
            {{ within_day }} as is_within_day
        from {{ cutoffs }}
    ) as rolled_cutoffs
        on rolled.activity_date < rolled_cutoffs.cutoff_date
        and not (
            rolled_cutoffs.is_within_day
            and rolled.activity_date in (
                {%- for days in events_rolled_to_days_window_days() %}
                cast(rolled_cutoffs.cutoff_at - interval '{{ days }} days' as date){{ ',' if not loop.last }}
                {%- endfor %}
            )
        )
    {%- if customers %}
    where {{ population_customers_only('rolled.customer_id', customers) }}
    {%- endif %}
    union all
    select
        read_days.cutoff_at,
        events.customer_id,
        {%- for name, sql in spec['keys'].items() %}
        {{ sql }} as {{ name }},
        {%- endfor %}
        events.occurred_at as row_at,
        {%- for name, measure in spec['measures'].items() %}
        {%- if measure[1] == 'sum' %}
        cast({{ measure[0] }} as bigint) as {{ name }}{{ ',' if not loop.last }}
        {%- else %}
        {{ measure[0] }} as {{ name }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from {{ spec['events'] }} as events
    inner join (
        -- at a cut-off within a day: its own day, and the days its windows start within
        select
            cutoff_at,
            cast(cutoff_at as date) as event_day
        from {{ cutoffs }}
        where {{ within_day }}
        {%- for days in events_rolled_to_days_window_days() %}
        union all
        select
            cutoff_at,
            cast(cutoff_at - interval '{{ days }} days' as date) as event_day
        from {{ cutoffs }}
        where {{ within_day }}
        {%- endfor %}
    ) as read_days
        on cast(events.occurred_at as date) = read_days.event_day
        and events.occurred_at < read_days.cutoff_at
    where customer_id is not null
        {%- if at %}
        -- the same days, as constants (the join above still decides)
        and (
            {%- for days in [0] + events_rolled_to_days_window_days() %}
            {%- set day_start = 'cast(cast(' ~ at ~ " - interval '" ~ days ~ " days' as date) as timestamp)" %}
            {{ 'or ' if not loop.first }}(events.occurred_at >= {{ day_start }} and events.occurred_at < {{ day_start }} + interval '1 day')
            {%- endfor %}
        )
        {%- endif %}
        {%- if customers %}
        and {{ population_customers_only('events.customer_id', customers) }}
        {%- endif %}
{%- endmacro %}

{% macro events_rolled_to_days_plan(kind) %}
    {#- At compile time: {'log': the attributing model's change log} to roll up
        again only the (customer, day) pairs it logged, or {'log': none} to roll
        up every event, with why -#}
    {%- if not execute or target.type != 'duckdb' or not is_incremental() -%}
        {{ return({'log': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- set spec = events_rolled_to_days_spec(kind) -%}
    {%- set stored = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- for column in (spec['keys'] | list) + (spec['measures'] | list) if column not in stored -%}
        {#- an older version's table (the web rollup keyed sessions by session_id before session_key; a
            measure added since): the model's on_schema_change adds the column, empty in the stored rows,
            so every row is rolled up again -#}
        {{ return({'log': none, 'why': 'the table has no column ' ~ column}) }}
    {%- endfor -%}
    {%- set log = changed_customers_log(spec['events']) -%}
    {%- if load_relation(log) is none -%}
        {{ return({'log': none, 'why': 'no change log ' ~ log.identifier}) }}
    {%- endif -%}
    {%- if changed_customers_log_has_full_build(log) -%}
        {{ return({'log': none, 'why': log.identifier ~ ' rebuilt every row'}) }}
    {%- endif -%}
    {%- do run_query('alter table ' ~ log ~ ' add column if not exists event_day date') -%}
    {%- set days = run_query(
        "select strftime(min(event_day), '%Y-%m-%d'), strftime(max(event_day), '%Y-%m-%d'), "
        ~ "count(*) filter (where event_day is null), count(distinct (customer_id, event_day)) from " ~ log
    ).rows[0] -%}
    {%- if days[2] > 0 -%}
        {#- rows an older version logged without their day -#}
        {{ return({'log': none, 'why': log.identifier ~ ' holds customers without a day'}) }}
    {%- endif -%}
    {{ return({'log': log, 'first_day': days[0], 'last_day': days[1], 'why': days[3] ~ ' customer days changed'}) }}
{% endmacro %}

{% macro events_rolled_to_days_marker(plan) -%}
    {#- A comment in the compiled SQL that tells strategy events_rolled_to_days what to replace -#}
    /* events_rolled_to_days: {{ 'all' if plan.log is none else plan.log }} ({{ plan.why }}) */
{%- endmacro %}

{% macro events_rolled_to_days_changed(plan) -%}
    {#- SQL: is the event (events.customer_id, events.occurred_at) on a (customer, day) pair the plan's log
        holds? The days' range lets DuckDB skip the row groups of older events. -#}
    {%- if plan.first_day %}
    events.occurred_at >= cast('{{ plan.first_day }}' as timestamp)
    and events.occurred_at < cast('{{ plan.last_day }}' as timestamp) + interval '1 days'
    and exists (
        select 1
        from {{ plan.log }} as changed
        where changed.customer_id = events.customer_id
            and changed.event_day = cast(events.occurred_at as date)
    )
    {%- else %}
    false
    {%- endif %}
{%- endmacro %}

{% macro events_rolled_to_days_save(kind) %}
    {#- The post-hook of a rollup on DuckDB: empty the attributing model's
        change log it has read (every run, full or not, has read all of it) -#}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set log = changed_customers_log(events_rolled_to_days_spec(kind)['events']) %}
    {{ changed_customers_log_create(log) }};
    delete from {{ log }}
{% endmacro %}

{% macro get_incremental_events_rolled_to_days_sql(arg_dict) %}
    {#- Replace what the compiled SQL's marker names: every row ('all'), or the
        rows of the (customer, day) pairs in the attributing model's change log;
        log the customers whose rows it replaced for int_customer_features -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set found = modules.re.search('/\\* events_rolled_to_days: (\\S+) ', model['compiled_code']) -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error('strategy events_rolled_to_days: the model has no events_rolled_to_days_marker') }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set log = changed_customers_log(target) -%}
    {{ changed_customers_log_create(log) }};
    {%- if found.group(1) == 'all' %}
    insert into {{ log }} (customer_id) values (null);
    delete from {{ target }};
    {%- else %}
    {%- set upstream = found.group(1) %}
    insert into {{ log }} (customer_id)
    select distinct customer_id from {{ upstream }} where customer_id is not null;
    {#- no OR in this condition: one made DuckDB compare every row with the log (8.5 s at 1,000,000
        contacts for an hour's 5,759 customer days, against 0.01 s) -#}
    delete from {{ target }} as rolled
    where exists (
        select 1
        from {{ upstream }} as changed
        where changed.customer_id = rolled.customer_id
            and changed.event_day = rolled.activity_date
    );
    {%- endif %}
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
