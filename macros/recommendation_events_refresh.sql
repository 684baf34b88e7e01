{#- The hourly refresh of int_recommendation_events on DuckDB: compute again
    only the interactions of the customers int_customer_features computed again
    in the same dbt invocation, and keep everyone else's stored rows.

    A customer's interactions (order lines, web product views and carts, email
    clicks, each before the cut-off) change between the stored cut-off (t0) and
    this run's (t1) only when their attributed events or their orders and order
    lines changed, or an event of theirs fell in [t0, t1). int_customer_features
    computes again exactly the customers for whom one of these holds (and
    more: macros/customer_features_refresh.sql), and keeps their ids in
    int_customer_features__changed (this model's post-hook drops it) with t0,
    t1 and the dbt invocation in int_customer_features__state. What the
    features do not follow is handled here: the catalogue (a product added, gone or with a new URL: a digest of
    stg_shop__products is saved with the table, and a different one recomputes
    everyone) and erasure (an erased customer's rows are deleted on every run).

    Everyone is computed (a full build) on the first build, with --full-refresh,
    when the saved state is missing or was made by other SQL, when
    int_customer_features did not run in this invocation or computed everyone,
    when its changes do not start at this table's cut-off, and when the
    catalogue changed. Elsewhere than DuckDB the model is a table, rebuilt on
    every run. The table equals what a full build makes:
    tests/python/test_incremental_events_end_to_end.py shows it. -#}

{% macro recommendation_events_state_relation() %}
    {#- The saved state int_recommendation_events__state next to the model -#}
    {{ return(api.Relation.create(
        database=this.database, schema=this.schema, identifier=this.identifier ~ '__state')) }}
{% endmacro %}

{% macro recommendation_events_products_digest_sql() %}
    {#- One value: a digest of what the model reads of the catalogue (DuckDB's hash()) -#}
    {%- if target.type != 'duckdb' -%}
        {{ exceptions.raise_compiler_error(
            'recommendation_events_products_digest_sql: the interactions refresh is DuckDB only'
        ) }}
    {%- endif %}
    select coalesce(sum(hash(product_id, product_url)), 0) from {{ ref('stg_shop__products') }}
{%- endmacro %}

{% macro recommendation_events_code_digest() %}
    {#- A digest of the model's SQL (without this run's plan), so a new version recomputes everyone -#}
    {{ return(local_md5(model['raw_code'] ~ recommendation_events_products_digest_sql())) }}
{% endmacro %}

{% macro recommendation_events_plan() %}
    {#- At compile time: {'changed': int_customer_features__changed, to compute
        only those customers again}, or {'changed': none} to compute everyone,
        with why -#}
    {%- if not execute or target.type != 'duckdb' or model.resource_type != 'model' -%}
        {{ return({'changed': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- if flags.FULL_REFRESH or load_relation(this) is none -%}
        {{ return({'changed': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- set state = recommendation_events_state_relation() -%}
    {%- if load_relation(state) is none -%}
        {{ return({'changed': none, 'why': 'no saved state'}) }}
    {%- endif -%}
    {%- set saved = run_query(
        "select max(code_digest), strftime(max(as_of), '%Y-%m-%d %H:%M:%S.%f'), max(products_digest) = ("
        ~ recommendation_events_products_digest_sql() ~ ") from " ~ state
    ).rows[0] -%}
    {%- if saved[0] != recommendation_events_code_digest() -%}
        {{ return({'changed': none, 'why': 'the model code changed'}) }}
    {%- endif -%}
    {%- if not saved[2] -%}
        {{ return({'changed': none, 'why': 'the catalogue changed'}) }}
    {%- endif -%}
    {%- set features = customer_features_changes_of_this_invocation() -%}
    {%- if features.changes is none -%}
        {{ return({'changed': none, 'why': features.why}) }}
    {%- endif -%}
    {%- if features.since != saved[1] -%}
        {{ return({
            'changed': none,
            'why': 'the features changes start at ' ~ features.since ~ ', the table is as of ' ~ saved[1],
        }) }}
    {%- endif -%}
    {%- set as_of = run_query("select strftime(" ~ as_of_timestamp() ~ ", '%Y-%m-%d %H:%M:%S.%f')").rows[0][0] -%}
    {%- if features.cutoff != as_of -%}
        {{ return({'changed': none, 'why': 'the features are as of ' ~ features.cutoff ~ ', this run ' ~ as_of}) }}
    {%- endif -%}
    {%- set counts = run_query('select count(*) from ' ~ features.changes).rows[0] -%}
    {{ return({'changed': features.changes, 'why': counts[0] ~ ' customers changed since ' ~ saved[1]}) }}
{% endmacro %}

{% macro recommendation_events_marker(plan) -%}
    {#- A comment in the compiled SQL: what the run computed (everyone, or the customers of a table), for the
        strategy and the tests -#}
    /* recommendation_events: {{ 'all' if plan.changed is none else plan.changed }} ({{ plan.why }}) */
{%- endmacro %}

{% macro recommendation_events_customers(column, plan) -%}
    {#- SQL: is the customer (column) one this run computes? Always true in a full build -#}
    {{ 'true' if plan.changed is none else population_customers_only(column, plan.changed) }}
{%- endmacro %}

{% macro get_incremental_recommendation_events_sql(arg_dict) %}
    {#- Incremental strategy of int_recommendation_events on DuckDB. On a run that
        computed only the changed customers, their stored rows and every erased
        customer's go, and the new rows are inserted; on a run that computed
        everyone, the new rows replace the table. -#}
    {%- set found = modules.re.search('/\\* recommendation_events: (\\S+) ', model['compiled_code'] or '') -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error(
            'strategy recommendation_events: the model has no recommendation_events_marker'
        ) }}
    {%- endif -%}
    {%- set changed_run = found.group(1) != 'all' %}
    {%- if changed_run %}
    delete from {{ arg_dict['target_relation'] }}
    where customer_id in (
        select changes.customer_id from {{ found.group(1) }} as changes
        union all
        select erased.customer_id from {{ ref('int_erased_customers') }} as erased
    );
    {%- endif %}
    {{ insert_or_replace_from_temp(arg_dict, insert=changed_run) }}
{% endmacro %}

{% macro recommendation_events_save() %}
    {#- The post-hook of int_recommendation_events on DuckDB: the code digest,
        the cut-off and the catalogue digest this table was made with; and the
        features' changed customers go, read or not (they hold the ids of
        people who left, erased ones included, and this invocation is done
        with them) -#}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif %}
    create or replace table {{ recommendation_events_state_relation() }} as
    select
        '{{ recommendation_events_code_digest() }}' as code_digest,
        {{ as_of_timestamp() }} as as_of,
        ({{ recommendation_events_products_digest_sql() }}) as products_digest;
    drop table if exists {{ customer_features_relation_of('changed') }}
{% endmacro %}
