{#- A double cast to decimal(precision, scale) as DuckDB casts it: the double
    times 10^scale, rounded half away from zero. Spark's own cast rounds the
    double's shortest decimal text instead, so 35.23 / 2 (17.614999..., shown
    as 17.615) gives 17.62 there and 17.61 on DuckDB. -#}
{% macro double_to_decimal(expression, precision, scale) -%}
    {{ return(adapter.dispatch('double_to_decimal', 'email_personalization')(expression, precision, scale)) }}
{%- endmacro %}

{% macro default__double_to_decimal(expression, precision, scale) -%}
    cast({{ expression }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__double_to_decimal(expression, precision, scale) -%}
    cast(
        cast(round(({{ expression }}) * 1e{{ scale }}, 0) as decimal(38, 0)) / 1e{{ scale }}
        as decimal({{ precision }}, {{ scale }})
    )
{%- endmacro %}
