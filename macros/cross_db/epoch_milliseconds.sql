{#- whole milliseconds since 1970-01-01 00:00 UTC of a UTC timestamp (bigint) -#}
{% macro epoch_milliseconds(timestamp) -%}
    {{ return(adapter.dispatch('epoch_milliseconds', 'email_personalization')(timestamp)) }}
{%- endmacro %}

{% macro default__epoch_milliseconds(timestamp) -%}
    epoch_ms({{ timestamp }})
{%- endmacro %}

{% macro spark__epoch_milliseconds(timestamp) -%}
    unix_millis(cast({{ timestamp }} as timestamp))
{%- endmacro %}
