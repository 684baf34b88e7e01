{% macro get_incremental_replace_customers_sql(arg_dict) %}
    {#- Incremental strategy of ml_customer_recommendations on DuckDB
        (python_udfs/recs/rescoring.py): the new rows hold the lists of the
        customers this run rescored, and a row with only a customer_id for each
        customer whose list goes (gone, or no list any more). Every row of
        those customers is deleted, then their new list rows are inserted.
        Those customers are logged for fct_customer_recommendations
        (macros/changed_customers_log.sql). -#}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    {%- set log = changed_customers_log(target) -%}
    {{ changed_customers_log_create(log) }};
    insert into {{ log }} (customer_id)
    select distinct customer_id from {{ arg_dict['temp_relation'] }};
    delete from {{ target }}
    where customer_id in (select customer_id from {{ arg_dict['temp_relation'] }});
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
    where product_id is not null
{% endmacro %}
