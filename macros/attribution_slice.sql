{#- Incremental attribution of events to customers on DuckDB
    (int_web_events_sessionized, int_email_events_attributed).

    An attributed event depends on its source row, on the identity map
    (int_identities_stitched) and on a lookup or two (a product's category, a
    campaign's type, a delivery's time). A run after the first attributes again
    only the source rows that any of these may have changed:
    - the rows of every day whose source rows changed: each run saves, per day,
      the number of source rows and a digest of their values
      (<model>__source_days); a day whose count or digest differs, or that
      appeared or went, is attributed again, and the table's rows of that day
      are deleted. An hour of new events changes the newest day, a late event
      its own day, an erasure the days of the person's events;
    - every row carrying an identifier whose customer changed, appeared or
      went (quarantined, erased, stitched to someone else) since the last run:
      each run saves the identity map it used (<model>__identities);
    - the rows of a lookup key whose value changed (the model lists those).
    Rows that now belong to nobody leave the table; the others replace their
    old version (strategy attribution_slice below). The table then equals a
    full build's: tests/python/test_incremental_events_end_to_end.py shows it.

    A run attributes everything when it has no saved state (the first run, a
    full refresh, a state table dropped). Elsewhere (Spark) these models are
    tables, rebuilt on every run.

    Each run also logs, in <model>__changed_customers, the customers and days
    whose rows it changed (a row gone, new or different, old customer and new),
    or one row with a null customer_id when it rebuilt every row. The model's
    daily rollup reads the log to roll up only those customer days again, then
    empties it (macros/events_rolled_to_days.sql). -#}

{% macro attribution_state_relation(kind) %}
    {#- The state table <model>__<kind> (source_days, identities) next to this model -#}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier=this.identifier ~ '__' ~ kind)) }}
{% endmacro %}

{% macro attribution_source_days_sql(source_relation, day, columns) %}
    {#- One row per day of source_relation: its rows and a digest of `columns`
        (DuckDB's hash(): the state lives and is compared on DuckDB only) -#}
    {%- if target.type != 'duckdb' -%}
        {{ exceptions.raise_compiler_error('attribution_source_days_sql: the incremental attribution is DuckDB only') }}
    {%- endif %}
    select
        {{ day }} as event_day,
        count(*) as source_rows,
        sum(hash({{ columns | join(', ') }})) as digest
    from {{ source_relation }}
    group by {{ day }}
{%- endmacro %}

{% macro attribution_slice_plan(source_relation, day, columns) %}
    {#- At compile time: {'days': [...]} to attribute again the rows of those
        days (and the rows the model finds changed lookups for), or
        {'days': none} to attribute every row. `day` is the SQL of a source
        row's day, `columns` what the model reads of a source row. Saves the
        current per-day digests as the state's 'next' rows, which the model's
        post-hook (attribution_slice_save) keeps once the run succeeded. -#}
    {%- if not execute or this is none or target.type != 'duckdb' -%}
        {{ return({'days': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- set days_state = attribution_state_relation('source_days') -%}
    {%- set saved_days = load_relation(days_state) -%}
    {%- if saved_days is not none -%}
        {#- digests a compile left behind are not this run's -#}
        {%- do run_query("delete from " ~ days_state ~ " where state = 'next'") -%}
    {%- endif -%}
    {%- if not is_incremental() -%}
        {{ return({'days': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- if saved_days is none or load_relation(attribution_state_relation('identities')) is none -%}
        {{ return({'days': none, 'why': 'no saved state'}) }}
    {%- endif -%}
    {%- do run_query(
        "insert into " ~ days_state ~ " select 'next', event_day, source_rows, digest from ("
        ~ attribution_source_days_sql(source_relation, day, columns) ~ ") as current_days"
    ) -%}
    {%- set changed = run_query(
        "select strftime(coalesce(next_days.event_day, saved_days.event_day), '%Y-%m-%d') as event_day "
        ~ "from (select * from " ~ days_state ~ " where state = 'next') as next_days "
        ~ "full outer join (select * from " ~ days_state ~ " where state = 'saved') as saved_days "
        ~ "on next_days.event_day = saved_days.event_day "
        ~ "where next_days.source_rows is distinct from saved_days.source_rows "
        ~ "or next_days.digest is distinct from saved_days.digest "
        ~ "order by 1"
    ).columns[0].values() | list -%}
    {{ return({'days': changed, 'why': changed | length ~ ' days changed'}) }}
{% endmacro %}

{% macro attribution_days_in(day, plan) -%}
    {#- Is this day (SQL) among the plan's changed days? -#}
    {%- if plan.days -%}
    {{ day }} in ({% for d in plan.days %}cast('{{ d }}' as date){{ ', ' if not loop.last }}{% endfor %})
    {%- else -%}
    false
    {%- endif -%}
{%- endmacro %}

{% macro attribution_changed_identifiers(identifier_types) %}
    {#- The identifiers (identifier_type, identifier_value) whose customer
        changed, appeared or went since the identity map the last run saved -#}
    {%- set current -%}
        select identifier_type, identifier_value, customer_id
        from {{ ref('int_identities_stitched') }}
        where is_quarantined is not true
            and identifier_type in ({% for t in identifier_types %}'{{ t }}'{{ ', ' if not loop.last }}{% endfor %})
    {%- endset %}
    select distinct identifier_type, identifier_value
    from (
        (select identifier_type, identifier_value, customer_id from {{ attribution_state_relation('identities') }}
        except
        {{ current }})
        union all
        ({{ current }}
        except
        select identifier_type, identifier_value, customer_id from {{ attribution_state_relation('identities') }})
    ) as changed
{%- endmacro %}

{% macro attribution_slice_marker(plan) -%}
    {#- A comment in the compiled SQL that tells strategy attribution_slice what to replace -#}
    /* attribution_slice: {{ 'all' if plan.days is none else (plan.days | join(',') or 'none') }} ({{ plan.why }}) */
{%- endmacro %}

{% macro attribution_slice_save(source_relation, day, columns, identifier_types) %}
    {#- The post-hook of an attributing model on DuckDB: keep the per-day
        digests and the identity map this run used, for the next run's plan. -#}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set days_state = attribution_state_relation('source_days') -%}
    {%- set computed = false -%}
    {%- if load_relation(days_state) is not none -%}
        {%- set computed = run_query("select count(*) from " ~ days_state ~ " where state = 'next'").rows[0][0] > 0 -%}
    {%- endif %}
    create table if not exists {{ days_state }} (
        state {{ dbt.type_string() }}, event_day date, source_rows bigint, digest hugeint
    );
    {%- if not computed %}
    {#- a full build computed no digests before it ran -#}
    insert into {{ days_state }}
    select 'next', event_day, source_rows, digest
    from ({{ attribution_source_days_sql(source_relation, day, columns) }}) as current_days;
    {%- endif %}
    delete from {{ days_state }} where state = 'saved';
    update {{ days_state }} set state = 'saved';
    {{ changed_customers_log_create(changed_customers_log(this)) }};
    {%- if not computed %}
    {#- a full build: every customer's rows may have changed -#}
    insert into {{ changed_customers_log(this) }} (customer_id) values (null);
    {%- endif %}
    create or replace table {{ attribution_state_relation('identities') }} as
    select identifier_type, identifier_value, customer_id
    from {{ ref('int_identities_stitched') }}
    where is_quarantined is not true
        and identifier_type in ({% for t in identifier_types %}'{{ t }}'{{ ', ' if not loop.last }}{% endfor %})
{% endmacro %}

{% macro get_incremental_attribution_slice_sql(arg_dict) %}
    {#- Replace what the model's compiled SQL names (attribution_slice_marker):
        delete the table's rows of the changed days and every row whose
        event_id the new rows outside those days hold, then insert the new rows
        that belong to a customer ('all' replaces every row). -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set found = modules.re.search('/\\* attribution_slice: (\\S+) ', model['compiled_code']) -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error('strategy attribution_slice: the model has no attribution_slice_marker') }}
    {%- endif -%}
    {%- set days = found.group(1) -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- if days != 'all' -%}
        {#- A stored row of a changed day goes with the day. Another goes when a new row outside the changed
            days holds its event_id (attributed again for an identity or a lookup): an event that moved from one
            day to another changed both days' source rows. Only those new rows' ids are looked up among the
            stored ones (33 to 41 M at 1,000,000 contacts), and nothing when there are none. -#}
        {%- set on_changed_days = attribution_days_in('cast(occurred_at as date)', {'days': days.split(',')})
            if days != 'none' else 'false' -%}
        {%- set elsewhere = arg_dict['temp_relation'] ~ ' where not coalesce(' ~ on_changed_days ~ ', false)' -%}
        {%- set by_id = run_query('select count(*) from ' ~ elsewhere).rows[0][0] > 0 -%}
        {%- set replaced -%}
            {{ on_changed_days }}
            {%- if by_id %}
            or event_id in (select event_id from {{ elsewhere }})
            {%- endif %}
        {%- endset -%}
    {%- endif -%}
    {%- set log = changed_customers_log(target) -%}
    {%- set old_rows = arg_dict['temp_relation'].incorporate(
        path={'identifier': arg_dict['temp_relation'].identifier ~ '__replaced'}) -%}
    {{ changed_customers_log_create(log) }};
    {%- if days == 'all' %}
    insert into {{ log }} (customer_id) values (null);
    delete from {{ target }};
    {%- else %}
    {#- the rows replaced, found in one pass over the table (with their rowid, to delete them): the filter
        (an event id among the new rows', or a changed day) cannot be pushed into the scan, and the log and the
        delete each scanned every row with it (33 to 41 M rows at 1,000,000 contacts, about 0.6 s a model) -#}
    create or replace temporary table {{ old_rows.identifier }} as
    select rowid as replaced_row, {{ columns }} from {{ target }} where {{ replaced }};
    {#- the customers of the rows that go, come or change: old rows the new ones do not repeat, and back -#}
    insert into {{ log }} (customer_id, event_day)
    select distinct customer_id, cast(occurred_at as date)
    from (
        (
            select {{ columns }} from {{ old_rows.identifier }}
            except all
            select {{ columns }} from {{ arg_dict['temp_relation'] }} where customer_id is not null
        )
        union all
        (
            select {{ columns }} from {{ arg_dict['temp_relation'] }} where customer_id is not null
            except all
            select {{ columns }} from {{ old_rows.identifier }}
        )
    ) as changed_rows;
    delete from {{ target }} where rowid in (select replaced_row from {{ old_rows.identifier }});
    drop table {{ old_rows.identifier }};
    {%- endif %}
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
    where customer_id is not null
{% endmacro %}
