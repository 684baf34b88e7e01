{% macro select_with_change_tracking(relation, key_column) %}
    {#- The final select of a sync model: every column of `relation` (a CTE of
        the synced content), then row_hash (md5 of the content as JSON) and
        updated_at, which keeps the previous build's value while row_hash is
        unchanged and becomes this run's start time when it changes, so
        reverse-ETL diffing sends only real changes. The previous state is what
        reverse-ETL tools last saw: the published table in schema exports
        (publish_exports) when there is one, else the model's own table. Reading
        the pending table instead would let a failed, unpublished build move
        updated_at, and a sync using it as a cursor would miss those rows.
        The JSON is DuckDB's to_json of the content on every engine: where the
        CTE cannot be inspected, its columns and types come from the model's
        contract (every column but row_hash and updated_at): the contract must
        list them in the content's order, as JSON keys follow it. -#}
    {%- set previous = none -%}
    {%- if execute and model.resource_type == 'model' -%}
        {%- if this.schema == 'exports_pending' -%}
            {%- set previous = adapter.get_relation(database=this.database, schema='exports', identifier=this.identifier) -%}
        {%- endif -%}
        {%- if previous is none -%}
            {%- set previous = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
        {%- endif -%}
    {%- endif -%}
    {%- set content_columns = [] -%}
    {%- for column in (model.columns or {}).values() if column.name not in ('row_hash', 'updated_at') -%}
        {%- do content_columns.append((column.name, column.data_type)) -%}
    {%- endfor -%}
    {%- set row_hash = 'md5(cast(' ~ json_of_columns(relation, content_columns) ~ ' as ' ~ dbt.type_string() ~ '))' %}
    select
        {{ relation }}.*,
        {{ row_hash }} as row_hash,
        {%- if previous is not none %}
        case
            when previous.row_hash = {{ row_hash }} then previous.updated_at
            else cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
        end as updated_at
        {%- else %}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as updated_at
        {%- endif %}
    from {{ relation }}
    {%- if previous is not none %}
    left join {{ previous }} as previous
        on {{ relation }}.{{ key_column }} = previous.{{ key_column }}
    {%- endif %}
{% endmacro %}
