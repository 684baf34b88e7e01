{#- The hourly refresh of int_customer_features on DuckDB: recompute only the
    customers whose features may have changed since the table was built, and
    move the rest to the new cut-off from their stored row.

    A customer's features change between the stored cut-off (t0) and this
    run's (t1) only when
    - their attributed email or web events changed: the daily rollups of the
      events log the customers whose rows they changed in
      <model>__changed_customers (macros/events_rolled_to_days.sql), emptied
      here once the table is built;
    - their orders or order lines changed: a digest of each customer's orders
      and lines is saved with the table (int_customer_features__inputs) and
      compared with the current one;
    - the cut-off moved an event into or out of a window: events at or after t0
      (now before t1), and events that leave a trailing window of 30, 90 or 180
      days ([t0 - n days, t1 - n days));
    - they are new to the population (first seen before t1, not stored).
    Everyone else keeps every stored feature but the three that count whole
    days from a stored time (recency_days, tenure_days, usual_open_hour_local,
    macro customer_calendar_features), computed again for t1. People who left
    the population (erased, merged into someone) leave the table. The model's
    rows are then the changed customers' only; its incremental strategy
    (customer_features) moves the other stored rows in place and inserts them.

    Everyone is computed (a full build) on the first build, with --full-refresh,
    when a saved state or a change log is missing, when an attributing model
    rebuilt every row, when t1 is before t0, and when the features' code
    changed (its digest is saved in int_customer_features__state, with the
    cut-off of the table it saved, so a table another version of the project
    built is not taken for this one's). Elsewhere
    than DuckDB the table is rebuilt on every run. The table equals what a full
    build makes: tests/python/test_incremental_events_end_to_end.py shows it. -#}

{% macro customer_features_state_relation(kind) %}
    {#- The state table int_customer_features__<kind> (inputs, inputs_next, changed, state) next to the model -#}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier=this.identifier ~ '__' ~ kind)) }}
{% endmacro %}

{% macro customer_features_change_logs() %}
    {#- The change logs of the daily rollups the features read -#}
    {{ return([
        changed_customers_log(ref('int_email_events_rolled_to_days')),
        changed_customers_log(ref('int_web_events_rolled_to_days')),
    ]) }}
{% endmacro %}

{% macro customer_feature_inputs_sql() %}
    {#- One row per customer with orders: a digest of what the order features and
        the top category read of their orders and order lines, and what
        int_recommendation_events reads of the lines (DuckDB's hash()) -#}
    {%- if target.type != 'duckdb' -%}
        {{ exceptions.raise_compiler_error('customer_feature_inputs_sql: the features refresh is DuckDB only') }}
    {%- endif %}
    select
        customer_id,
        sum(digest) as digest
    from (
        select
            customer_id,
            sum(hash(order_id, ordered_at, status, is_completed, net_revenue, returned_amount)) as digest
        from {{ ref('int_orders_attributed') }}
        where customer_id is not null
        group by customer_id
        union all
        select
            customer_id,
            sum(hash(
                order_item_id, order_id, product_id, category, quantity, is_return, ordered_at, is_completed
            )) as digest
        from {{ ref('int_order_lines_enriched') }}
        where customer_id is not null
        group by customer_id
    ) as inputs
    group by customer_id
{%- endmacro %}

{% macro customer_features_changed_sql(since, as_of, population, stored) %}
    {#- The customers to compute again (see the top of this file): `since` is the
        stored cut-off (t0), `as_of` this run's (t1), both SQL; `population` the
        population at t1, `stored` the table as the last run left it -#}
    {%- set moved = [] %}
    {%- for days in [0, 30, 90, 180] %}
    {%- do moved.append(
        '(event_at >= ' ~ since ~ ' - interval \'' ~ days ~ ' days\' and event_at < ' ~ as_of ~ ' - interval \'' ~ days ~ ' days\')'
    ) %}
    {%- endfor %}
    {%- set moved = moved | join(' or ') %}
    {%- for log in customer_features_change_logs() %}
    select customer_id from {{ log }} where customer_id is not null
    union
    {%- endfor %}
    {{ digest_changed_keys(
        'customer_id', customer_features_state_relation('inputs_next'), customer_features_state_relation('inputs')
    ) }}
    union
    select customer_id from (
        select customer_id, ordered_at as event_at from {{ ref('int_orders_attributed') }}
    ) as orders
    where customer_id is not null and ({{ moved }})
    union
    select customer_id from (
        select customer_id, occurred_at as event_at from {{ ref('int_email_events_attributed') }}
    ) as email_events
    where {{ moved }}
    union
    select customer_id from (
        select customer_id, occurred_at as event_at from {{ ref('int_web_events_sessionized') }}
    ) as web_events
    where customer_id is not null and ({{ moved }})
    union
    select population.customer_id
    from {{ population }} as population
    anti join {{ stored }} as stored
        on population.customer_id = stored.customer_id
{%- endmacro %}

{% macro customer_features_population() %}
    {#- The population at this run's cut-off (macro customer_population_at), as a
        parenthesised query: what the plan and the strategy compare the stored rows with -#}
    {{ return('(' ~ customer_population_at('(select ' ~ as_of_timestamp() ~ ' as cutoff_at)') ~ ')') }}
{% endmacro %}

{% macro customer_features_changed_run() %}
    {#- Did this run of int_customer_features compute only the changed customers?
        Read from its compiled SQL's marker (customer_features_marker), for the
        strategy and the post-hook -#}
    {{ return(modules.re.search('/\\* customer_features: changed ', model['compiled_code'] or '') is not none) }}
{% endmacro %}

{% macro customer_features_kept_sql(population, stored, changed) %}
    {#- The stored rows of the customers not computed again, moved to the
        population's cut-off in place: `stored` loses the rows of the changed
        customers (`changed`) and of those who left the population, and the
        rest get the population's cut-off, their calendar features counted
        again and the base currency. Two statements. -#}
    {%- set calendar = customer_calendar_features('population', 'stored.last_order_at', 'stored.usual_open_hour_utc') %}
    delete from {{ stored }}
    where customer_id in (
        select changed.customer_id from {{ changed }} as changed
        union all
        select stored.customer_id
        from {{ stored }} as stored
        anti join {{ population }} as population
            on stored.customer_id = population.customer_id
    );
    update {{ stored }} as stored
    set
        cutoff_at = population.cutoff_at,
        {%- for column in customer_feature_families() if column in calendar %}
        {{ column }} = {{ calendar[column] }},
        {%- endfor %}
        currency = {{ quote_literal(var("base_currency")) }}
    from {{ population }} as population
    where stored.customer_id = population.customer_id
{%- endmacro %}

{% macro get_incremental_customer_features_sql(arg_dict) %}
    {#- Incremental strategy of int_customer_features on DuckDB. On a run that
        computed only the changed customers (customer_features_plan), the other
        stored rows are moved to the new cut-off in place
        (customer_features_kept_sql), then the changed customers' rows are
        inserted: rewriting the 1.3 M stored rows each hour took 1.2 to 1.8 s at
        1,000,000 contacts, updating their few columns 0.1 to 0.2 s
        (docs/operations.md, "Afternoon of 2026-12-07"). On a run that computed
        everyone, the new rows replace the table, whatever its columns were. -#}
    {%- set changed_run = customer_features_changed_run() %}
    {%- if changed_run %}
    {{ customer_features_kept_sql(
        customer_features_population(), arg_dict['target_relation'], customer_features_state_relation('changed')
    ) }};
    {%- endif %}
    {{ insert_or_replace_from_temp(arg_dict, insert=changed_run) }}
{% endmacro %}

{% macro customer_features_code_digest() %}
    {#- A digest of the SQL that makes the features, so a new version of it recomputes everyone -#}
    {{ return(local_md5(
        customer_feature_inputs_sql()
        ~ customer_features_at('cutoffs', at='as_of')
        ~ customer_features_changed_sql('since', 'as_of', 'population', 'stored')
        ~ customer_features_kept_sql('population', 'stored', 'changed')
    )) }}
{% endmacro %}

{% macro customer_features_plan() %}
    {#- At compile time: {'changed': a table of the customers whose features may
        have changed since the stored cut-off (int_customer_features__changed),
        to compute only those again}, or {'changed': none} to compute everyone,
        with why. Saves the current order digests as
        int_customer_features__inputs_next for the post-hook
        (customer_features_save). -#}
    {%- if not execute or target.type != 'duckdb' or model.resource_type != 'model' -%}
        {{ return({'changed': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- do run_query('drop table if exists ' ~ customer_features_state_relation('inputs_next')) -%}
    {%- do run_query('drop table if exists ' ~ customer_features_state_relation('changed')) -%}
    {%- if flags.FULL_REFRESH or load_relation(this) is none -%}
        {{ return({'changed': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- if load_relation(customer_features_state_relation('inputs')) is none
        or load_relation(customer_features_state_relation('state')) is none -%}
        {{ return({'changed': none, 'why': 'no saved state'}) }}
    {%- endif -%}
    {%- set saved = run_query(
        "select max(code_digest), strftime(max(cutoff_at), '%Y-%m-%d %H:%M:%S.%f') from "
        ~ customer_features_state_relation('state')
    ).rows[0] -%}
    {%- if saved[0] != customer_features_code_digest() -%}
        {{ return({'changed': none, 'why': 'the features code changed'}) }}
    {%- endif -%}
    {%- for log in customer_features_change_logs() -%}
        {%- if load_relation(log) is none -%}
            {{ return({'changed': none, 'why': 'no change log ' ~ log.identifier}) }}
        {%- endif -%}
        {%- if changed_customers_log_has_full_build(log) -%}
            {{ return({'changed': none, 'why': log.identifier ~ ' rebuilt every row'}) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set stored = run_query(
        "select strftime(max(cutoff_at), '%Y-%m-%d %H:%M:%S.%f'), max(cutoff_at) > " ~ as_of_timestamp()
        ~ " from " ~ this
    ).rows[0] -%}
    {%- if stored[0] is none -%}
        {{ return({'changed': none, 'why': 'no stored rows'}) }}
    {%- endif -%}
    {%- if stored[0] != saved[1] -%}
        {#- the table was not made by the run that saved the state (an older version of the project built it) -#}
        {{ return({'changed': none, 'why': 'the table is not the one the state was saved with'}) }}
    {%- endif -%}
    {%- if stored[1] -%}
        {{ return({'changed': none, 'why': 'a cut-off before the stored one'}) }}
    {%- endif -%}
    {%- do run_query(
        'create table ' ~ customer_features_state_relation('inputs_next') ~ ' as ' ~ customer_feature_inputs_sql()
    ) -%}
    {%- set population = customer_features_population() -%}
    {%- set changed = customer_features_state_relation('changed') -%}
    {%- do run_query(
        'create or replace table ' ~ changed ~ ' as '
        ~ customer_features_changed_sql("cast('" ~ stored[0] ~ "' as timestamp)", as_of_timestamp(), population, this)
    ) -%}
    {%- set counts = run_query(
        'select (select count(*) from ' ~ changed ~ '), (select count(*) from ' ~ this ~ ')'
    ).rows[0] -%}
    {{ return({
        'changed': changed,
        'why': counts[0] ~ ' customers changed of ' ~ counts[1] ~ ' stored as of ' ~ stored[0],
    }) }}
{% endmacro %}

{% macro customer_features_marker(plan) -%}
    {#- A comment in the compiled SQL: what the run computed, for the post-hook and the tests -#}
    /* customer_features: {{ 'all' if plan.changed is none else 'changed' }} ({{ plan.why }}) */
{%- endmacro %}

{% macro customer_features_save() %}
    {#- The post-hook of int_customer_features on DuckDB: keep the order digests,
        the code digest and the cut-off this table was made with, and empty the
        change logs it has read -#}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set changed_run = customer_features_changed_run() %}
    {%- set since = none %}
    {%- if changed_run %}
    {#- the cut-off the changes start from: the state's, which the plan found to be the table's -#}
    {%- set since = run_query(
        "select strftime(max(cutoff_at), '%Y-%m-%d %H:%M:%S.%f') from " ~ customer_features_state_relation('state')
    ).rows[0][0] %}
    create or replace table {{ customer_features_state_relation('inputs') }} as
    select * from {{ customer_features_state_relation('inputs_next') }};
    drop table {{ customer_features_state_relation('inputs_next') }};
    {%- else %}
    create or replace table {{ customer_features_state_relation('inputs') }} as
    {{ customer_feature_inputs_sql() }};
    {%- endif %}
    {#- changes_since and invocation_id: the customers computed again (int_customer_features__changed, kept
        for int_recommendation_events, which drops it once built: macros/recommendation_events_refresh.sql) are
        the changes from that cut-off, found in this invocation; null when everyone was computed -#}
    create or replace table {{ customer_features_state_relation('state') }} as
    select
        '{{ customer_features_code_digest() }}' as code_digest,
        max(cutoff_at) as cutoff_at,
        cast({{ quote_literal(since) if since is not none else 'null' }} as timestamp) as changes_since,
        '{{ invocation_id }}' as invocation_id
    from {{ this }};
    {%- for log in customer_features_change_logs() %}
    {{ changed_customers_log_create(log) }};
    delete from {{ log }};
    {%- endfor %}
{% endmacro %}

{% macro customer_features_changes_of_this_invocation() %}
    {#- At compile time, from another model: {'changes': int_customer_features__changed,
        the customers int_customer_features computed again in this dbt invocation,
        'since': the cut-off they are the changes from, 'cutoff': the features'
        cut-off}, or {'changes': none, 'why': ...} when it did not run in this
        invocation or computed everyone -#}
    {%- set state = customer_features_relation_of('state') -%}
    {%- set changes = customer_features_relation_of('changed') -%}
    {%- if load_relation(state) is none -%}
        {{ return({'changes': none, 'why': 'int_customer_features saved no state'}) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(state) | map(attribute='name') | map('lower') | list -%}
    {%- if 'invocation_id' not in columns or 'changes_since' not in columns -%}
        {{ return({'changes': none, 'why': 'int_customer_features saved no changes'}) }}
    {%- endif -%}
    {%- set saved = run_query(
        "select max(invocation_id), strftime(max(changes_since), '%Y-%m-%d %H:%M:%S.%f'), "
        ~ "strftime(max(cutoff_at), '%Y-%m-%d %H:%M:%S.%f') from " ~ state
    ).rows[0] -%}
    {%- if saved[0] != invocation_id -%}
        {{ return({'changes': none, 'why': 'int_customer_features did not run in this invocation'}) }}
    {%- endif -%}
    {#- (the features' plan made the table in this invocation: dbt's relation cache does not know it) -#}
    {%- set kept = run_query(
        'select count(*) from duckdb_tables() where database_name = ' ~ quote_literal(changes.database)
        ~ ' and schema_name = ' ~ quote_literal(changes.schema)
        ~ ' and table_name = ' ~ quote_literal(changes.identifier)
    ).rows[0][0] -%}
    {%- if saved[1] is none or kept == 0 -%}
        {{ return({'changes': none, 'why': 'int_customer_features computed everyone'}) }}
    {%- endif -%}
    {{ return({'changes': changes, 'since': saved[1], 'cutoff': saved[2], 'why': 'changes'}) }}
{% endmacro %}

{% macro customer_features_relation_of(kind) %}
    {#- The state table int_customer_features__<kind>, from another model (customer_features_state_relation is
        the model's own) -#}
    {%- set features = ref('int_customer_features') -%}
    {{ return(api.Relation.create(
        database=features.database, schema=features.schema, identifier=features.identifier ~ '__' ~ kind)) }}
{% endmacro %}
