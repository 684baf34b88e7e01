{#- Date arithmetic with DuckDB's meaning on every engine.

    The project calls dbt's own cross-database macros (dbt.dateadd,
    dbt.datediff). dbt_project.yml's dispatch config searches this project
    before dbt for them, so the spark__ forms below replace dbt-spark's, which
    call assert_not_null (a null date stops the whole query) and add days by
    way of a date (the time of day survives only through unix seconds). These
    keep nulls null and count like DuckDB's date_diff: the number of unit
    boundaries crossed, so 23:00 to 01:00 the next day is one day. -#}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{%- endmacro %}

{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- if datepart == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- else -%}
        timestampdiff(
            {{ datepart }},
            date_trunc('{{ datepart }}', {{ first_date }}),
            date_trunc('{{ datepart }}', {{ second_date }})
        )
    {%- endif -%}
{%- endmacro %}
