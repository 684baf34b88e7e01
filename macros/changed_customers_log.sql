{#- Change logs: an incremental model that replaces some customers' rows logs
    which customers it changed, so a model built from it can compute only those
    customers again. <model>__changed_customers holds one customer_id per
    changed customer (repeats allowed), and a row with a null customer_id when
    the model rebuilt every row (a full build). The attributing models also say
    which of the customer's days changed (event_day; the other logs leave it
    null), for the daily rollups (macros/events_rolled_to_days.sql). The model that reads the log
    empties it once it is built (its post-hook). DuckDB only: elsewhere the
    models are tables, rebuilt on every run, and nothing is logged.
    Written by int_web_events_sessionized and int_email_events_attributed
    (macros/attribution_slice.sql: read by their daily rollups), by the
    rollups int_web_events_rolled_to_days and int_email_events_rolled_to_days
    (macros/events_rolled_to_days.sql: read by int_customer_features) and by
    ml_customer_recommendations (macros/replace_customers.sql: read by
    fct_customer_recommendations). -#}

{% macro changed_customers_log(model_relation) %}
    {#- The change log <model>__changed_customers of a model (a relation) -#}
    {{ return(api.Relation.create(
        database=model_relation.database,
        schema=model_relation.schema,
        identifier=model_relation.identifier ~ '__changed_customers',
    )) }}
{% endmacro %}

{% macro changed_customers_log_create(log) -%}
    create table if not exists {{ log }} (customer_id {{ dbt.type_string() }}, event_day date);
    {#- a log an older version made has no event_day -#}
    alter table {{ log }} add column if not exists event_day date
{%- endmacro %}

{% macro changed_customers_log_full_build() %}
    {#- A pre-hook: a full build of this model (first run, --full-refresh) may
        change every customer, so it logs the null row. Nothing on an
        incremental run (its strategy logs) or elsewhere than DuckDB. -#}
    {%- if target.type != 'duckdb' or is_incremental() -%}
        {{ return('') }}
    {%- endif %}
    {{ changed_customers_log_create(changed_customers_log(this)) }};
    insert into {{ changed_customers_log(this) }} (customer_id) values (null)
{% endmacro %}

{% macro changed_customers_log_has_full_build(log) %}
    {#- At compile time: does the log hold a full build's null row? -#}
    {{ return(run_query('select count(*) from ' ~ log ~ ' where customer_id is null').rows[0][0] > 0) }}
{% endmacro %}

{% macro digest_changed_keys(key, current, saved) %}
    {#- The keys whose digest differs between two relations of (key, digest),
        each key at most once per relation: changed, added (only in current) or
        removed (only in saved). One pass over each, where a pair of EXCEPTs
        would read the current digests twice. -#}
    select coalesce(current_digests.{{ key }}, saved_digests.{{ key }}) as {{ key }}
    from {{ current }} as current_digests
    full outer join {{ saved }} as saved_digests
        on current_digests.{{ key }} = saved_digests.{{ key }}
    where current_digests.digest is distinct from saved_digests.digest
{%- endmacro %}
