{#- The hourly refresh of fct_customer_recommendations on DuckDB: replace only
    the rows of the customers whose rows may have changed since the last run,
    instead of writing every list again (13 M rows at 1,000,000 contacts).

    A customer's rows change only when
    - ml_customer_recommendations replaced their list (rescored, or removed):
      it logs them in ml_customer_recommendations__changed_customers
      (macros/changed_customers_log.sql), emptied here once the table is built;
    - their contact_id in dim_customers changed, or they came into it or left
      it: (customer_id, a digest of contact_id) is saved with the table
      (fct_customer_recommendations__customers) and compared;
    - a product on their list changed any field the mart copies, or became
      active or inactive: a digest per product is saved
      (fct_customer_recommendations__products) and compared.
    Every row is written again on the first build, with --full-refresh, when a
    saved state or the log is missing, when ml_customer_recommendations rebuilt
    every list, when the model's code changed, and when the table does not hold
    the number of rows it was saved with (another version of the project built
    it). Elsewhere than DuckDB the table is rebuilt on every run. The table
    equals what a full build makes:
    tests/python/test_recommendations_rescoring_end_to_end.py shows it. -#}

{% macro recommendations_mart_state(kind) %}
    {#- The state table fct_customer_recommendations__<kind> (customers, products, state, changed) -#}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier=this.identifier ~ '__' ~ kind)) }}
{% endmacro %}

{% macro recommendations_mart_customers_sql() %}
    {#- Each customer of dim_customers with a digest of what the mart copies of it -#}
    select
        customer_id,
        hash(contact_id) as digest
    from {{ ref('dim_customers') }}
{%- endmacro %}

{% macro recommendations_mart_products_sql() %}
    {#- Each product of dim_products with a digest of what the mart copies of it -#}
    select
        product_id,
        hash(product_name, category, product_url, image_url, price, currency, is_active) as digest
    from {{ ref('dim_products') }}
{%- endmacro %}

{% macro recommendations_mart_state_sql() %}
    {#- The model's code digest and the table's row count, as the post-hook saves them -#}
    select
        '{{ local_md5(model.raw_code) }}' as code_digest,
        (select count(*) from {{ this }}) as row_count
{%- endmacro %}

{% macro recommendations_mart_plan() %}
    {#- At compile time: {'changed': a table of the customers whose rows to
        replace (fct_customer_recommendations__changed)}, or {'changed': none}
        to write every row, with why -#}
    {%- if not execute or target.type != 'duckdb' or model.resource_type != 'model' -%}
        {{ return({'changed': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- set changed = recommendations_mart_state('changed') -%}
    {%- do run_query('drop table if exists ' ~ changed) -%}
    {%- if not is_incremental() -%}
        {{ return({'changed': none, 'why': 'full build'}) }}
    {%- endif -%}
    {%- set log = changed_customers_log(ref('ml_customer_recommendations')) -%}
    {%- if load_relation(log) is none -%}
        {{ return({'changed': none, 'why': 'no change log ' ~ log.identifier}) }}
    {%- endif -%}
    {%- if changed_customers_log_has_full_build(log) -%}
        {{ return({'changed': none, 'why': 'ml_customer_recommendations rebuilt every list'}) }}
    {%- endif -%}
    {%- for kind in ['customers', 'products', 'state'] -%}
        {%- if load_relation(recommendations_mart_state(kind)) is none -%}
            {{ return({'changed': none, 'why': 'no saved state'}) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set saved = run_query(
        'select saved.code_digest = current_state.code_digest, saved.row_count = current_state.row_count from '
        ~ recommendations_mart_state('state') ~ ' as saved cross join (' ~ recommendations_mart_state_sql()
        ~ ') as current_state'
    ).rows[0] -%}
    {%- if not saved[0] -%}
        {{ return({'changed': none, 'why': 'the model code changed'}) }}
    {%- endif -%}
    {%- if not saved[1] -%}
        {{ return({'changed': none, 'why': 'the table is not the one the state was saved with'}) }}
    {%- endif -%}
    {%- set changed_sql -%}
        with

        changed_products as (
            {{ digest_changed_keys(
                'product_id', '(' ~ recommendations_mart_products_sql() ~ ')', recommendations_mart_state('products')
            ) }}
        )

        select customer_id from {{ log }} where customer_id is not null
        union
        {{ digest_changed_keys(
            'customer_id', '(' ~ recommendations_mart_customers_sql() ~ ')', recommendations_mart_state('customers')
        ) }}
        union
        select customer_id
        from {{ ref('ml_customer_recommendations') }}
        where product_id in (select changed_products.product_id from changed_products)
    {%- endset -%}
    {%- do run_query('create table ' ~ changed ~ ' as ' ~ changed_sql) -%}
    {%- set counts = run_query('select (select count(*) from ' ~ changed ~ '), (select count(distinct customer_id) from '
        ~ ref('dim_customers') ~ ')').rows[0] -%}
    {{ return({'changed': changed, 'why': counts[0] ~ ' customers changed of ' ~ counts[1]}) }}
{% endmacro %}

{% macro recommendations_mart_marker(plan) -%}
    {#- A comment in the compiled SQL: what the run replaced, for the strategy and the tests -#}
    /* recommendations_mart: {{ 'all' if plan.changed is none else 'changed' }} ({{ plan.why }}) */
{%- endmacro %}

{% macro recommendations_mart_only(plan, column) -%}
    {#- A filter to the changed customers (true when the run writes every row) -#}
    {%- if plan.changed is none -%}
    true
    {%- else -%}
    {{ column }} in (select changed.customer_id from {{ plan.changed }} as changed)
    {%- endif -%}
{%- endmacro %}

{% macro get_incremental_replace_listed_customers_sql(arg_dict) %}
    {#- Incremental strategy replace_listed_customers (DuckDB,
        fct_customer_recommendations): delete the rows of the customers the
        plan listed (every row when it wrote every row), insert the new rows -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set found = modules.re.search('/\\* recommendations_mart: (all|changed) ', model['compiled_code']) -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error('strategy replace_listed_customers: the model has no recommendations_mart_marker') }}
    {%- endif -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }}
    {%- if found.group(1) == 'changed' %}
    where customer_id in (select customer_id from {{ recommendations_mart_state('changed') }})
    {%- endif %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}

{% macro recommendations_mart_save() %}
    {#- The post-hook of fct_customer_recommendations on DuckDB: save what the
        table was made from and empty the change log it has read -#}
    {%- if target.type != 'duckdb' -%}
        {{ return('') }}
    {%- endif %}
    create or replace table {{ recommendations_mart_state('customers') }} as {{ recommendations_mart_customers_sql() }};
    create or replace table {{ recommendations_mart_state('products') }} as {{ recommendations_mart_products_sql() }};
    create or replace table {{ recommendations_mart_state('state') }} as {{ recommendations_mart_state_sql() }};
    drop table if exists {{ recommendations_mart_state('changed') }};
    {%- set log = changed_customers_log(ref('ml_customer_recommendations')) %}
    {{ changed_customers_log_create(log) }};
    delete from {{ log }};
{% endmacro %}
