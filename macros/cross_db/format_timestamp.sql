{#- A timestamp (or date) as text in a strftime format, e.g.
    format_timestamp('triggered_at', '%Y-%m-%dT%H:%M:%SZ'). Understood codes:
    %Y %m %d %H %M %S and %f (microseconds, 6 digits); any other character is
    written as it is. DuckDB: strftime; Spark: date_format with the same
    pattern in Java's letters (letters outside codes quoted). -#}
{% macro format_timestamp(expression, format) -%}
    {{ return(adapter.dispatch('format_timestamp', 'email_personalization')(expression, format)) }}
{%- endmacro %}

{% macro default__format_timestamp(expression, format) -%}
    strftime({{ expression }}, '{{ format }}')
{%- endmacro %}

{% macro spark__format_timestamp(expression, format) -%}
    {%- set codes = {'Y': 'yyyy', 'm': 'MM', 'd': 'dd', 'H': 'HH', 'M': 'mm', 'S': 'ss', 'f': 'SSSSSS'} -%}
    {%- set parts = [] -%}
    {%- set state = namespace(percent=false) -%}
    {%- for character in format -%}
        {%- if state.percent -%}
            {%- if character not in codes -%}
                {{ exceptions.raise_compiler_error("format_timestamp: unsupported code %" ~ character) }}
            {%- endif -%}
            {%- do parts.append(codes[character]) -%}
            {%- set state.percent = false -%}
        {%- elif character == '%' -%}
            {%- set state.percent = true -%}
        {%- elif character.isalpha() -%}
            {%- do parts.append("''" ~ character ~ "''") -%}
        {%- else -%}
            {%- do parts.append(character) -%}
        {%- endif -%}
    {%- endfor -%}
    date_format({{ expression }}, '{{ parts | join('') }}')
{%- endmacro %}
