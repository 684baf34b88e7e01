{#- A statement deleting the rows of relation where condition is true (a
    hook's body). DuckDB deletes; Spark's own tables (not Delta) cannot, so
    the rows to keep (everything except all the rows to delete) go through a
    scratch table and overwrite the relation: the statements run here and
    the hook itself is a no-op. -#}
{% macro delete_where(relation, condition) -%}
    {{ return(adapter.dispatch('delete_where', 'email_personalization')(relation, condition)) }}
{%- endmacro %}

{% macro default__delete_where(relation, condition) -%}
    delete from {{ relation }}
    where {{ condition }}
{%- endmacro %}

{% macro spark__delete_where(relation, condition) -%}
    {%- if execute -%}
        {%- set kept = relation.incorporate(path={'identifier': relation.identifier ~ '__kept'}) -%}
        {%- do run_query('drop table if exists ' ~ kept) -%}
        {%- do run_query(
            'create table ' ~ kept ~ ' as select * from ' ~ relation
            ~ ' except all select * from ' ~ relation ~ ' where ' ~ condition
        ) -%}
        {%- do run_query('insert overwrite table ' ~ relation ~ ' select * from ' ~ kept) -%}
        {%- do run_query('drop table if exists ' ~ kept) -%}
    {%- endif -%}
    select 1
{%- endmacro %}
