{#- The time-zone names a contact's time zone may be: a query with one column,
    time_zone. DuckDB: pg_timezone_names() (ICU's list: the IANA names and
    about 40 legacy ones such as 'PST' or 'SystemV/EST5'). Other engines: seed
    time_zones, the IANA list scripts/generate_lookup_seeds.py writes from
    zoneinfo, so a legacy name is no time zone there. -#}
{% macro time_zone_names() -%}
    {{ return(adapter.dispatch('time_zone_names', 'email_personalization')()) }}
{%- endmacro %}

{% macro default__time_zone_names() -%}
    select name as time_zone from pg_timezone_names()
{%- endmacro %}

{% macro spark__time_zone_names() -%}
    select time_zone from {{ ref('time_zones') }}
{%- endmacro %}
