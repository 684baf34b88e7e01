{% macro insert_or_replace_from_temp(arg_dict, insert) -%}
    {#- The last statement of an incremental strategy that computed some rows
        into dbt's temporary relation: insert them into the target (insert true:
        the strategy removed what they replace), or make them the whole table,
        whatever its columns were (insert false: a run that computed everyone) -#}
    {%- if insert -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
    {%- else -%}
    create or replace table {{ arg_dict['target_relation'] }} as
    select * from {{ arg_dict['temp_relation'] }}
    {%- endif -%}
{%- endmacro %}
