{#- Regular expressions, JSON fields, number formats and time zones: the
    DuckDB form is the default; spark__ is Spark SQL (Databricks too). -#}

{#- true when the whole of text matches pattern (not just a part of it) -#}
{% macro regexp_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_full_match', 'email_personalization')(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_full_match(text, pattern) -%}
    ({{ text }} rlike concat('^(?:', {{ pattern }}, ')$'))
{%- endmacro %}

{#- a JSON field as text (null when absent); path like '$.field' -#}
{% macro json_text(json, path) -%}
    {{ return(adapter.dispatch('json_text', 'email_personalization')(json, path)) }}
{%- endmacro %}

{% macro default__json_text(json, path) -%}
    json_extract_string({{ json }}, {{ path }})
{%- endmacro %}

{% macro spark__json_text(json, path) -%}
    get_json_object({{ json }}, {{ path }})
{%- endmacro %}

{#- a number as text with exactly `digits` decimals, no thousands separator -#}
{% macro format_fixed(number, digits) -%}
    {{ return(adapter.dispatch('format_fixed', 'email_personalization')(number, digits)) }}
{%- endmacro %}

{% macro default__format_fixed(number, digits) -%}
    printf('%.{{ digits }}f', {{ number }})
{%- endmacro %}

{% macro spark__format_fixed(number, digits) -%}
    cast(cast({{ number }} as decimal(38, {{ digits }})) as string)
{%- endmacro %}

{#- a UTC timestamp (no zone) as wall-clock time in an IANA zone, and back -#}
{% macro utc_to_local(timestamp, zone) -%}
    {{ return(adapter.dispatch('utc_to_local', 'email_personalization')(timestamp, zone)) }}
{%- endmacro %}

{% macro default__utc_to_local(timestamp, zone) -%}
    timezone({{ zone }}, timezone('UTC', {{ timestamp }}))
{%- endmacro %}

{% macro spark__utc_to_local(timestamp, zone) -%}
    from_utc_timestamp({{ timestamp }}, {{ zone }})
{%- endmacro %}

{% macro local_to_utc(timestamp, zone) -%}
    {{ return(adapter.dispatch('local_to_utc', 'email_personalization')(timestamp, zone)) }}
{%- endmacro %}

{% macro default__local_to_utc(timestamp, zone) -%}
    timezone('UTC', timezone({{ zone }}, {{ timestamp }}))
{%- endmacro %}

{% macro spark__local_to_utc(timestamp, zone) -%}
    to_utc_timestamp({{ timestamp }}, {{ zone }})
{%- endmacro %}

{#- seconds since 1970-01-01 00:00 UTC of a UTC timestamp, with fractions -#}
{% macro epoch_seconds(timestamp) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'email_personalization')(timestamp)) }}
{%- endmacro %}

{% macro default__epoch_seconds(timestamp) -%}
    epoch({{ timestamp }})
{%- endmacro %}

{% macro spark__epoch_seconds(timestamp) -%}
    (unix_micros(cast({{ timestamp }} as timestamp)) / 1e6)
{%- endmacro %}
