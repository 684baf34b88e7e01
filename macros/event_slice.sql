{#- Incremental event base models (base_web__events, base_esp__email_events,
    base_shop__orders) on DuckDB.

    Raw events are append-only in practice and carry no load time, so "new rows"
    are found by their own time. A run after the first reads only the slice:
    - every raw row whose parsed time is unreadable (null), before
      var plausible_timestamp_min, or on or after the slice start: the day of
      the newest accepted row (or of as_of, if earlier), less
      var event_lookback_days days for late arrivals;
    - and every other row sharing a key (event_id) with a row of the slice,
      unless it is erased, so duplicates and conflicting duplicates are decided
      over all rows of a key, as a full build decides them. Where no stored row
      before the slice holds such a key (the usual hour), that is no row, and
      the raw keys are not matched at all.
    The same rows are deleted from the table (by event_date, and by key for
    the rows read for their key) and the slice's rows inserted: strategy
    event_slice below. The result equals a full build's;
    tests/python/test_incremental_events_end_to_end.py shows it.

    A run processes everything again (the table is replaced in full, still
    incrementally) when it cannot know that the slice is enough:
    - the classification fingerprint changed: the model's code, the var
      plausible_timestamp_min, an erasure request (stg_erasure__identifiers)
      or a lookup seed the model reads (the ESP vocabulary);
    - rows older than the slice appeared or went (a late arrival beyond the
      lookback, a replaced raw file): the raw table has another count of rows
      before the slice than the table;
    - the table has no accepted row yet, or was made by an earlier version
      of the project (no classification_fingerprint).
    A raw row edited in place (same count, other values) is not seen: raw
    tables are append-only by contract; after editing one, run with
    --full-refresh. -#}

{% macro event_slice_fingerprint(lookups=[], settings=[]) %}
    {#- SQL for a digest of what the classification of a raw row depends on
        besides the row and as_of: the model's code, plausible_timestamp_min,
        the values in settings (other vars the model reads), every erased
        identifier and the rows of each lookup, a (text expression, relation)
        pair. Plain SQL, so unit tests (whose refs are
        fixtures) and every engine compute it the same way; in a run, its
        value as a literal. -#}
    {%- set parts = [
        quote_literal(local_md5(
            model.raw_code ~ '|' ~ var('plausible_timestamp_min') ~ ('|' ~ settings | join('|') if settings else '')
        )),
        "coalesce((select " ~ string_agg_sorted("erased.identifier_type || ':' || erased.identifier_sha256", "','")
            ~ " from " ~ ref('stg_erasure__identifiers') ~ " as erased), '')",
    ] -%}
    {%- for expression, relation in lookups -%}
        {%- do parts.append(
            "coalesce((select " ~ string_agg_sorted(expression, "','") ~ " from " ~ relation ~ "), '')"
        ) -%}
    {%- endfor -%}
    {%- set digest = 'md5(' ~ parts | join(" || '|' || ") ~ ')' -%}
    {#- computed once, as a literal: an expression would hash the whole erasure
        list again for every row (a unit test, which has no `this`, keeps it, and
        so does a compile with no warehouse yet, as the SQL linter's) -#}
    {%- if execute and this is not none and load_relation(ref('stg_erasure__identifiers')) is not none -%}
        {{ return(quote_literal(run_query('select ' ~ digest).rows[0][0])) }}
    {%- endif -%}
    {{ return(digest) }}
{% endmacro %}

{% macro event_slice_in(day, start, once=false) %}
    {#- Is a row of this event day (a date, null when its time is unreadable) in
        the slice starting on the day `start` ('YYYY-MM-DD', from event_slice_plan)?
        once: write `day` once (not strictly between plausible_timestamp_min's
        day and start), for a raw time parsed from text, which costs about 2
        microseconds a row each time it is written; a column or a native
        timestamp is compared three times, cheaper there. -#}
    {%- if once -%}
    coalesce({{ day }} not between
        {{ dbt.dateadd('day', 1, 'cast(' ~ quote_literal(var('plausible_timestamp_min')) ~ ' as date)') }}
        and {{ dbt.dateadd('day', -1, "cast('" ~ start ~ "' as date)") }}, true)
    {%- else -%}
    ({{ day }} is null
        or {{ day }} >= cast('{{ start }}' as date)
        or {{ day }} <= cast({{ quote_literal(var('plausible_timestamp_min')) }} as date))
    {%- endif %}
{%- endmacro %}

{% macro slice_run_impossible() %}
    {#- Why an incremental base model must process every raw row, whatever its
        data: not an incremental run (the first run, a full refresh, a compile
        with no warehouse; a unit test has no `this`), or a table made by an
        earlier version of the project (no classification_fingerprint column).
        None when a slice run may be planned. Shared by event_slice_plan and
        order_item_slice_plan. -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return('full build') }}
    {%- endif -%}
    {%- if 'classification_fingerprint' not in adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
        {{ return('table of an earlier version') }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}

{% macro event_slice_plan(source_relation, raw_time, fingerprint) %}
    {#- At compile time: {'start': 'YYYY-MM-DD'} to read the slice from that day,
        or {'start': none} to process every raw row (the first run, a full
        refresh, or any reason listed at the top of this file). raw_time: the
        raw time column's name, e.g. 'occurred_at', which the model keeps,
        parsed, under the same name. -#}
    {%- set why = slice_run_impossible() -%}
    {%- if why -%}
        {{ return({'start': none, 'why': why}) }}
    {%- endif -%}
    {%- set state = run_query(
        'select count(*), '
        ~ 'sum(case when classification_fingerprint = ' ~ fingerprint ~ ' then 0 else 1 end), '
        ~ 'cast(max(case when rejection_reason is null then ' ~ raw_time ~ ' end) as date) '
        ~ 'from ' ~ this
    ).rows[0] -%}
    {%- set target_rows, stale, newest = state[0], state[1], state[2] -%}
    {%- if stale != 0 or newest is none -%}
        {{ return({'start': none, 'why': 'classification changed' if stale else 'no accepted row yet'}) }}
    {%- endif -%}
    {%- set as_of_day = run_query('select cast(' ~ as_of_timestamp() ~ ' as date)').rows[0][0] -%}
    {%- set start = ([newest, as_of_day] | min) - modules.datetime.timedelta(days=number_var('event_lookback_days') | float) -%}
    {%- set start = start.strftime('%Y-%m-%d') -%}
    {%- set counts = run_query(
        'select (select count(*) from ' ~ source_relation ~ ' as source), '
        ~ '(select count(*) from ' ~ source_relation ~ ' as source where not '
        ~ event_slice_in(
            'cast(' ~ parse_raw_timestamp(source_relation, raw_time, 'source') ~ ' as date)', start,
            once=native_timestamp_type(source_relation, raw_time) is none
        ) ~ '), '
        ~ '(select count(*) from ' ~ this ~ ' where not ' ~ event_slice_in('event_date', start) ~ ')'
    ).rows[0] -%}
    {%- if counts[0] < target_rows or counts[1] != counts[2] -%}
        {{ return({'start': none, 'why': 'rows before the slice changed'}) }}
    {%- endif -%}
    {{ return({'start': start, 'why': 'slice'}) }}
{% endmacro %}

{% macro event_slice_source_filter(plan, raw_relation, raw_time, raw_key) %}
    {#- The where clause of a base model's source CTE (reading the raw source
        alone, unaliased): in a slice run, the slice's raw rows and every row
        sharing a key with one. A time parsed from text (about 4 M raw orders
        at 1,000,000 contacts) is written once (event_slice_in's `once`), and a
        row of the slice with a key is found by its key alone, so only rows
        with no key parse their time outside the subquery (DuckDB evaluates
        the right side of `and` only where the left one holds).
        When no stored row before the slice holds a key of the slice's raw rows
        (event_slice_keys_before_slice), the slice's rows alone: the raw rows
        before the slice are the stored ones (the plan counts them), so none of
        them shares a key with the slice either, and matching every raw row's key
        with the slice's took most of an hourly run of base_web__events at
        1,000,000 contacts. -#}
    {%- if plan.start %}
    {%- set native = native_timestamp_type(raw_relation, raw_time) is not none %}
    {%- set in_slice = event_slice_in(
        'cast(' ~ parse_raw_timestamp(raw_relation, raw_time) ~ ' as date)', plan.start, once=not native
    ) %}
    {%- set slice_keys -%}
            select {{ clean_text('keyed.' ~ raw_key) }}
            from {{ raw_relation }} as keyed
            where {{ event_slice_in('cast(' ~ parse_raw_timestamp(raw_relation, raw_time, 'keyed') ~ ' as date)', plan.start, once=not native) }}
    {%- endset %}
    {%- if event_slice_keys_before_slice(plan, slice_keys) %}
    where {{ in_slice if native else '(' ~ clean_text(raw_key) ~ ' is null\n            and ' ~ in_slice ~ ')' }}
        or {{ clean_text(raw_key) }} in (
{{ slice_keys }}
        )
    {%- else %}
    where {{ in_slice }}
    {%- endif %}
    {%- endif %}
{%- endmacro %}

{% macro event_slice_keys_before_slice(plan, slice_keys) %}
    {#- At compile time, in a slice run: does a stored row before the slice hold
        one of slice_keys (SQL of the cleaned keys of the slice's raw rows)? The
        stored key is the raw key cleaned (null only for a row without one, or
        erased: a rejected row, which decides no other row's duplicates). True
        when it cannot be read (no warehouse, another engine). -#}
    {%- if not execute or this is none or target.type != 'duckdb' -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set key = config.get('event_slice_key') -%}
    {%- set found = run_query(
        'select count(*) from ' ~ this ~ ' where not ' ~ event_slice_in('event_date', plan.start)
        ~ ' and ' ~ key ~ ' in (' ~ slice_keys ~ ')'
    ).rows[0][0] -%}
    {{ return(found > 0) }}
{% endmacro %}

{% macro event_slice_inlined(plan) -%}
    {#- The hint for a base model's CTEs from its source up to its classified rows
        (`source as {{ event_slice_inlined(plan) }} (`): in a full build they are
        inlined on DuckDB, so each of select_classified_rows' reads streams the raw
        rows instead of DuckDB holding every classified row (tens of millions, each
        with its raw row) to read it again. A slice run's rows are few, and its
        source's filter reads the raw files again: DuckDB decides, as before. -#}
    {%- if not plan.start -%}
        {{ cte_hint(materialized=false) }}
    {%- endif -%}
{%- endmacro %}

{% macro event_slice_kept(plan) %}
    {#- The where clause of a base model's final select: in a slice run, rows
        read only for their key are kept unless erased (the table keeps the
        erased ones it has, by event_date). -#}
    {%- if plan.start %}
    where {{ event_slice_in('event_date', plan.start) }}
        or coalesce(rejection_reason, '') != 'erased'
    {%- endif %}
{%- endmacro %}

{% macro event_slice_marker(plan) -%}
    {#- A comment in the compiled SQL that tells strategy event_slice what to replace -#}
    /* event_slice: {{ plan.start or 'all' }} ({{ plan.why }}) */
{%- endmacro %}

{% macro get_incremental_event_slice_sql(arg_dict) %}
    {#- Replace the slice the model's compiled SQL names (event_slice_marker):
        delete the table's rows of the slice (by event_date, and by key, the
        config's event_slice_key, where new rows outside those days hold it),
        then insert the new rows. 'all' replaces
        every row. -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set found = modules.re.search('/\\* event_slice: ([0-9-]+|all) ', model['compiled_code']) -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error('strategy event_slice: the model has no event_slice_marker') }}
    {%- endif -%}
    {%- set start = found.group(1) -%}
    {%- set key = config.get('event_slice_key') -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- if start != 'all' -%}
        {#- A stored row outside the slice's days goes when the new rows hold its key
            outside them too: the rows read for their key (base models), each the
            same raw row as a stored one, since the rows before the slice are the
            raw table's (event_slice_plan counts them). Usually there are none, and
            then no stored key is looked up (at 1,000,000 contacts the lookup read
            the 40 M stored web event ids, about 1 s of each of two models' runs). -#}
        {%- set outside = arg_dict['temp_relation'] ~ ' where ' ~ key ~ ' is not null and not '
            ~ event_slice_in('event_date', start) -%}
        {%- set by_key = run_query('select count(*) from ' ~ outside).rows[0][0] > 0 -%}
    {%- endif %}
    delete from {{ target }}
    {%- if start != 'all' %}
    where {{ event_slice_in('event_date', start) }}
        {%- if by_key %}
        or {{ key }} in (select {{ key }} from {{ outside }})
        {%- endif %}
    {%- endif %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}

{% macro session_fingerprint(source_relation) %}
    {#- For int_web_event_sessions: a digest of the model's code, the session
        timeout and how base_web__events classified the events
        (source_relation's distinct classification_fingerprint values: an
        erasure request changes them). A literal in a run, as
        event_slice_fingerprint's. -#}
    {%- set digest = 'md5(' ~ quote_literal(local_md5(model.raw_code ~ '|' ~ var('session_timeout_minutes')))
        ~ " || '|' || coalesce((select " ~ string_agg_sorted('fingerprint', "','")
        ~ ' from (select distinct classification_fingerprint as fingerprint from ' ~ source_relation
        ~ ') as classified), \'\'))' -%}
    {%- if execute and this is not none and load_relation(source_relation) is not none -%}
        {{ return(quote_literal(run_query('select ' ~ digest).rows[0][0])) }}
    {%- endif -%}
    {{ return(digest) }}
{% endmacro %}

{% macro session_slice_plan(source_relation, fingerprint) %}
    {#- At compile time, for int_web_event_sessions (DuckDB, incremental):
        {'start': 'YYYY-MM-DD'} to sessionize again only the events from that
        day on, each device continuing from its last event before it, or
        {'start': none} for every event. The slice starts on the day of the
        newest event the table holds (or of as_of, if earlier) less
        event_lookback_days. Everything is sessionized again when the table
        cannot be known to hold the events before the slice: the first run, a
        full refresh, another fingerprint (the model's code, the session
        timeout, or a change in how base_web__events classified the rows, such
        as an erasure request), or another number of events before the slice
        in source_relation than in the table. -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return({'start': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- set state = run_query(
        'select count(*), sum(case when session_fingerprint = ' ~ fingerprint ~ ' then 0 else 1 end), '
        ~ 'max(event_date) from ' ~ this
    ).rows[0] -%}
    {%- if state[1] != 0 or state[2] is none -%}
        {{ return({'start': none, 'why': 'sessionization changed' if state[1] else 'no event yet'}) }}
    {%- endif -%}
    {%- set as_of_day = run_query('select cast(' ~ as_of_timestamp() ~ ' as date)').rows[0][0] -%}
    {%- set start = ([state[2], as_of_day] | min) - modules.datetime.timedelta(days=number_var('event_lookback_days') | float) -%}
    {%- set start = start.strftime('%Y-%m-%d') -%}
    {%- set counts = run_query(
        'select (select count(*) from ' ~ source_relation ~ " where occurred_at < cast('" ~ start ~ "' as date)), "
        ~ '(select count(*) from ' ~ this ~ " where event_date < cast('" ~ start ~ "' as date))"
    ).rows[0] -%}
    {%- if counts[0] != counts[1] -%}
        {{ return({'start': none, 'why': 'events before the slice changed'}) }}
    {%- endif -%}
    {{ return({'start': start, 'why': 'slice'}) }}
{% endmacro %}
