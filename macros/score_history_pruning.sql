{#- The post-hooks of ml_score_history (_score_history__models.yml). -#}

{% macro score_history_retention() %}
    {#- One run per as_of day (this run replaces any other run of its as_of
        day) and no run more than score_history_retention_days before this
        run's as_of. -#}
    {%- set condition -%}
        (
            cast(as_of_at as date) = cast({{ as_of_timestamp() }} as date)
            and scored_at <> cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
        )
        or as_of_at < {{ dbt.dateadd(
            'day',
            '-cast(' ~ number_var('score_history_retention_days') ~ ' as integer)',
            as_of_timestamp()
        ) }}
    {%- endset -%}
    {{ return(delete_where(this, condition)) }}
{% endmacro %}

{% macro score_history_erasure() %}
    {#- An erased person leaves no trace, under every customer id they could have held. -#}
    {%- set condition -%}
        customer_id in (select customer_id from {{ ref('int_erased_customers') }})
        or customer_id in (
            select customer_id from {{ ref('stg_erasure__identifiers') }}
            where customer_id is not null
        )
    {%- endset -%}
    {{ return(delete_where(this, condition)) }}
{% endmacro %}
