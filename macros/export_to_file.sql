{% macro export_to_file(relation, folder, export_format) %}
    {#- The statement that writes `relation` to <folder>/<identifier>.<export_format>
        (csv with a header, or parquet) for ESP bulk imports. DuckDB writes it
        beside the target and renames it over the old file, so a reader sees the
        old file or the new one, never half of one. Called by publish_exports
        after a passing build, once the relation's rows are published. -#}
    {%- if export_format not in ('csv', 'parquet') -%}
        {{ exceptions.raise_compiler_error("var export_format must be none, csv or parquet, not " ~ export_format) }}
    {%- endif -%}
    {%- set options = 'format csv, header true' if export_format == 'csv' else 'format parquet' -%}
    {{ return("copy (select * from " ~ relation ~ ") to "
        ~ quote_literal(folder ~ '/' ~ relation.identifier ~ '.' ~ export_format)
        ~ " (" ~ options ~ ", use_tmp_file true)") }}
{% endmacro %}
