{#- Incremental order lines (base_shop__order_items) on DuckDB.

    Raw order lines carry no time and no key of their own: a line is new, or
    must be classified again, only as part of its order. A run after the first
    classifies again the lines of the order ids that changed, and of no other:
    - order ids with another number of raw lines than the table holds (new
      orders' lines, a line added to an old order);
    - order ids whose order (base_shop__orders) changed what its lines are
      classified with: it became known, rejected or accepted, or changed
      currency;
    - and every raw line with no order id (rejected, few).
    Those order ids' rows are deleted from the table and their new rows
    inserted (strategy order_item_slice below); a line's number within its
    order (order_item_id) is counted over all of the order's lines, as in a
    full build. tests/python/test_incremental_events_end_to_end.py shows the
    result equals a full build's.

    A run processes every line again (the table is replaced in full, still
    incrementally) when it cannot know the changed orders are enough: the
    classification fingerprint changed (the model's code, an erasure request,
    the exchange rates, vars base_currency or max_line_amount; a table made
    by an earlier version has none), the table holds
    another number of erased lines than the raw table, or more lines of some
    order id than the raw table (a replaced raw file). As for the event models,
    a raw line edited in place is not seen: run with --full-refresh. -#}

{% macro order_item_slice_plan(source_relation, fingerprint) %}
    {#- At compile time: {'orders': true} to classify again the changed orders'
        lines only, or {'orders': false} for every raw line, with the reason.
        Before a run of changed orders it writes the order ids whose number of
        raw lines differs from the table's (not erased) to
        <model>__changed_line_counts, which order_item_slice_changed_orders
        reads: the two counts per order id of a million contacts' 6 M lines were
        computed twice an hour, here and in the model, about 1.5 s each. Each
        run on DuckDB drops it first, so no order id stays there once its person
        is erased (an erasure request makes that run classify every line). -#}
    {%- if execute and this is not none and target.type == 'duckdb' -%}
        {%- do run_query('drop table if exists ' ~ order_item_slice_counts_relation()) -%}
    {%- endif -%}
    {%- set why = slice_run_impossible() -%}
    {%- if why -%}
        {{ return({'orders': false, 'why': why}) }}
    {%- endif -%}
    {%- set state = run_query(
        'select count(*), '
        ~ 'sum(case when classification_fingerprint = ' ~ fingerprint ~ ' then 0 else 1 end), '
        ~ "count(*) filter (where rejection_reason = 'erased') "
        ~ 'from ' ~ this
    ).rows[0] -%}
    {%- if state[0] == 0 or state[1] != 0 -%}
        {{ return({'orders': false, 'why': 'classification changed' if state[1] else 'no line yet'}) }}
    {%- endif -%}
    {%- set erased_lines = run_query(
        'select count(*) from ' ~ source_relation ~ ' as source where '
        ~ is_erased_row(order_id=clean_text('source.order_id'))
    ).rows[0][0] -%}
    {%- if erased_lines != state[2] -%}
        {{ return({'orders': false, 'why': 'erased lines changed'}) }}
    {%- endif -%}
    {%- set counts = order_item_slice_counts_relation() -%}
    {%- do run_query(
        'create or replace table ' ~ counts ~ ' as '
        ~ 'with raw_lines as (select ' ~ clean_text('source.order_id') ~ ' as order_id, count(*) as n from '
        ~ source_relation ~ ' as source group by 1), '
        ~ 'kept_lines as (select order_id, count(*) as n from ' ~ this ~ ' where order_id is not null group by 1) '
        ~ 'select coalesce(raw_lines.order_id, kept_lines.order_id) as order_id, '
        ~ 'raw_lines.n as raw_lines, kept_lines.n as kept_lines '
        ~ 'from raw_lines full outer join kept_lines on raw_lines.order_id = kept_lines.order_id '
        ~ 'where raw_lines.n is distinct from kept_lines.n '
        ~ 'and not ' ~ is_erased_row(order_id='coalesce(raw_lines.order_id, kept_lines.order_id)')
    ) -%}
    {%- set gone = run_query(
        'select count(*) from ' ~ counts ~ ' where kept_lines > coalesce(raw_lines, 0)'
    ).rows[0][0] -%}
    {%- if gone != 0 -%}
        {{ return({'orders': false, 'why': 'lines went from the raw table'}) }}
    {%- endif -%}
    {{ return({'orders': true, 'why': 'changed orders'}) }}
{% endmacro %}

{% macro order_item_slice_counts_relation() %}
    {#- <model>__changed_line_counts: per order id whose raw lines and stored lines
        differ in number, both numbers (order_item_slice_plan) -#}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__changed_line_counts'
    )) }}
{% endmacro %}

{% macro order_item_slice_marker(plan) -%}
    {#- A comment in the compiled SQL that tells strategy order_item_slice what to replace -#}
    /* order_item_slice: {{ 'orders' if plan.orders else 'all' }} ({{ plan.why }}) */
{%- endmacro %}

{% macro order_item_slice_changed_orders(plan, orders) %}
    {#- In a slice run, a CTE `changed_orders,` (with its trailing comma): the
        order ids whose lines the run classifies again; nothing in a full run,
        which reads every line. `orders`: one row per order id with its
        currency and rejection_reason, as the model joins them. -#}
    {%- if plan.orders %}
changed_orders as (
    -- the order ids with another number of raw lines than the table holds, not
    -- erased, as the plan found them
    select order_id
    from {{ order_item_slice_counts_relation() }}
    union
    select kept.order_id
    from (
        select distinct
            order_id,
            currency,
            order_rejection_reason,
            is_known_order
        from {{ this }}
        where order_id is not null
    ) as kept
    left join {{ orders }} as orders
        on kept.order_id = orders.order_id
    where kept.currency is distinct from orders.currency
        or kept.order_rejection_reason is distinct from orders.rejection_reason
        or kept.is_known_order != (orders.order_id is not null)
),
    {%- endif %}
{%- endmacro %}

{% macro order_item_slice_source_filter(plan) %}
    {#- The where clause of the model's source CTE (the raw source, unaliased):
        in a slice run, the changed orders' lines (CTE changed_orders) and
        every line without an order id. -#}
    {%- if plan.orders %}
    where {{ clean_text('order_id') }} is null
        or {{ clean_text('order_id') }} in (select changed.order_id from changed_orders as changed)
    {%- endif %}
{%- endmacro %}

{% macro get_incremental_order_item_slice_sql(arg_dict) %}
    {#- Replace what the model's compiled SQL names (order_item_slice_marker):
        the rows of the order ids the run classified again and the lines with
        no order id, or every row ('all'). -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set found = modules.re.search('/\\* order_item_slice: (orders|all) ', model['compiled_code']) -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error('strategy order_item_slice: the model has no order_item_slice_marker') }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    {%- if found.group(1) == 'orders' %}
    where rejection_reason = 'missing_order_id'
        or order_id in (select order_id from {{ arg_dict['temp_relation'] }} where order_id is not null)
    {%- endif %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
