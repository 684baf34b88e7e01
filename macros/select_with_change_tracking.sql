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
        list them in the content's order, as JSON keys follow it.
        On DuckDB, when the previous table's columns are the content's (names,
        order and types) followed by row_hash and updated_at, a row whose
        content equals its previous row's column by column keeps the previous
        row_hash without computing it: the same values make the same JSON. The
        md5 of the JSON was most of each profile export's time in the hourly
        refresh at 1,000,000 contacts, where few rows change. -#}
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
    {%- set unchanged = change_tracking_unchanged(relation, previous, content_columns) %}
    select
        {{ relation }}.*,
        {%- if unchanged %}
        case when {{ unchanged }} then previous.row_hash else {{ row_hash }} end as row_hash,
        {#- nested WHENs: DuckDB computes a branch's condition only for the rows the ones before left -#}
        case
            when {{ unchanged }} then previous.updated_at
            when previous.row_hash = {{ row_hash }} then previous.updated_at
            else cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
        end as updated_at
        {%- else %}
        {{ row_hash }} as row_hash,
        {%- if previous is not none %}
        case
            when previous.row_hash = {{ row_hash }} then previous.updated_at
            else cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
        end as updated_at
        {%- else %}
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp) as updated_at
        {%- endif %}
        {%- endif %}
    from {{ relation }}
    {%- if previous is not none %}
    left join {{ previous }} as previous
        on {{ relation }}.{{ key_column }} = previous.{{ key_column }}
    {%- endif %}
{% endmacro %}

{% macro change_tracking_unchanged(relation, previous, content_columns) %}
    {#- SQL that holds when a row of `relation` has the same content as its
        previous row, column by column (a row without one does not), or '' when
        the previous table cannot be compared so: elsewhere than DuckDB, no
        previous table, or columns other than the content's (names, order and
        types) followed by row_hash and updated_at (another version's export). -#}
    {%- if previous is none or target.type != 'duckdb' or content_columns | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set stored = adapter.get_columns_in_relation(previous) -%}
    {%- set expected = content_columns | map(attribute=0) | map('lower') | list + ['row_hash', 'updated_at'] -%}
    {%- if stored | map(attribute='name') | map('lower') | list != expected -%}
        {{ return('') }}
    {%- endif -%}
    {#- the types the content's contract makes, as DuckDB names them, against the stored ones -#}
    {%- set casts = [] -%}
    {%- for name, data_type in content_columns -%}
        {%- do casts.append('typeof(cast(null as ' ~ api.Column.translate_type(data_type or 'string') ~ '))') -%}
    {%- endfor -%}
    {%- set made = run_query('select ' ~ casts | join(', ')).rows[0] | map('lower') | list -%}
    {%- if stored[:content_columns | length] | map(attribute='dtype') | map('lower') | list != made -%}
        {{ return('') }}
    {%- endif -%}
    {%- set same = [] -%}
    {%- for name, data_type in content_columns -%}
        {%- do same.append(
            relation ~ '.' ~ adapter.quote(name) ~ ' is not distinct from previous.' ~ adapter.quote(name)
        ) -%}
    {%- endfor -%}
    {{ return('(previous.row_hash is not null and ' ~ same | join(' and ') ~ ')') }}
{% endmacro %}
