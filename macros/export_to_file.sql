{% macro export_to_file(relation, folder, export_format, columns) %}
    {#- The statement that writes `relation` to <folder>/<identifier>.<export_format>
        (csv with a header and spreadsheet-safe text cells, or parquet) for ESP
        bulk imports. DuckDB writes it beside the target and renames it over the
        old file, so a reader sees the old file or the new one, never half of one.
        Called by publish_exports after a passing build, once the relation's
        rows are published. columns: the relation's [name, data_type] pairs in
        order, from duckdb_columns() as publish_exports reads them (asking the
        adapter here would leave a transaction open under the hook's own).
        DuckDB's COPY ... TO: publish_exports calls it on DuckDB only. -#}
    {%- if export_format not in ('csv', 'parquet') -%}
        {{ exceptions.raise_compiler_error("var export_format must be none, csv or parquet, not " ~ export_format) }}
    {%- endif -%}
    {#- csv is opened in spreadsheets: text cells they would execute get a leading quote;
        parquet keeps its types and values as they are -#}
    {%- if export_format == 'csv' -%}
        {%- set options = 'format csv, header true' -%}
        {%- set cells = [] -%}
        {%- for column in columns -%}
            {%- set name = adapter.quote(column[0]) -%}
            {%- if column[1] | upper == 'VARCHAR' -%}
                {%- do cells.append(spreadsheet_safe(name) | trim ~ ' as ' ~ name) -%}
            {%- else -%}
                {%- do cells.append(name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set query = 'select ' ~ (cells | join(', ') if cells else '*') ~ ' from ' ~ relation -%}
    {%- else -%}
        {%- set options = 'format parquet' -%}
        {%- set query = 'select * from ' ~ relation -%}
    {%- endif -%}
    {{ return("copy (" ~ query ~ ") to "
        ~ quote_literal(folder ~ '/' ~ relation.identifier ~ '.' ~ export_format)
        ~ " (" ~ options ~ ", use_tmp_file true)") }}
{% endmacro %}
