{#- Written by the on-run-start hook (macros/register_raw_sources.sql), not a
    source: it describes how the raw files were read, not their content. -#}
{%- set malformed = api.Relation.create(
    database=target.get('database'), schema='raw_files', identifier='malformed_lines'
) -%}

with

malformed as (
    select * from {{ malformed }}
)

select
    md5(file_name || '|' || cast(line_number as {{ dbt.type_string() }})) as malformed_line_id,
    source_table,
    file_name,
    line_number,
    problem,
    expected_fields,
    found_fields,
    {{ as_of_timestamp() }} as as_of_at
from malformed
