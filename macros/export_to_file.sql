{% macro export_to_file() %}
    {#- Post-hook of the export models: with var export_format csv or parquet,
        writes the model to EXPORT_DIR/<model>.<format> (default data/exports)
        for ESP bulk imports. Does nothing with the default, none. -#}
    {%- set export_format = var('export_format', 'none') -%}
    {%- if export_format in ('csv', 'parquet') -%}
        {%- set folder = env_var('EXPORT_DIR', 'data/exports') -%}
        {%- set options = '(format csv, header true)' if export_format == 'csv' else '(format parquet)' -%}
        {%- if execute -%}
            {%- set created = run_query("select ensure_directory(" ~ quote_literal(folder) ~ ")") -%}
            {%- set folder = created.rows[0][0] -%}
        {%- endif %}
        copy (select * from {{ this }})
        to {{ quote_literal(folder ~ '/' ~ this.identifier ~ '.' ~ export_format) }} {{ options }}
    {%- elif export_format != 'none' -%}
        {{ exceptions.raise_compiler_error("var export_format must be none, csv or parquet, not " ~ export_format) }}
    {%- else -%}
        select 1
    {%- endif -%}
{% endmacro %}
