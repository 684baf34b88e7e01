{#- Pre-hook of a model that reads previous_state(): copies <this> to
    <this>__previous when <this> exists (a table), before the materialization
    drops <this>. Nothing to do on the first build, nor after a run that failed
    once <this> was dropped: the copy still holds the previous state. -#}
{% macro snapshot_previous_state() -%}
    {%- set existing = adapter.get_relation(this.database, this.schema, this.identifier) -%}
    {%- if existing is not none and not existing.is_view -%}
        {%- set copy = previous_state() -%}
        {%- do run_query('drop table if exists ' ~ copy) -%}
create table {{ copy }} as select * from {{ existing }}
    {%- endif -%}
{%- endmacro %}
