{#- Hashes that give the same text on every engine (md5() already does). -#}

{% macro sha256_hex(expression) -%}
    {{ return(adapter.dispatch('sha256_hex', 'email_personalization')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
    sha256({{ expression }})
{%- endmacro %}

{% macro spark__sha256_hex(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{#- The integer (0 .. 16^n - 1) that a hexadecimal text of at most 15 digits
    writes, e.g. the first 8 digits of an md5 for a uniform bucket. -#}
{% macro hex_to_bigint(hex_text) -%}
    {{ return(adapter.dispatch('hex_to_bigint', 'email_personalization')(hex_text)) }}
{%- endmacro %}

{% macro default__hex_to_bigint(hex_text) -%}
    cast(('0x' || {{ hex_text }}) as bigint)
{%- endmacro %}

{% macro spark__hex_to_bigint(hex_text) -%}
    cast(conv({{ hex_text }}, 16, 10) as bigint)
{%- endmacro %}
