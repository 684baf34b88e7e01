{% macro is_implausible_timestamp(expression) %}
    {#- True for a parsed timestamp the project cannot compute with: infinite,
        before var plausible_timestamp_min, or more than var
        plausible_timestamp_max_days_ahead days after the later of as_of and the
        run's start (so backtests with an early as_of are not affected). -#}
    {{ return(adapter.dispatch('is_implausible_timestamp', 'email_personalization')(expression)) }}
{% endmacro %}

{% macro default__is_implausible_timestamp(expression) %}
    (
        not isfinite({{ expression }})
        or {{ expression }} < cast({{ quote_literal(var('plausible_timestamp_min')) }} as timestamp)
        or {{ expression }} > greatest(
            {{ as_of_timestamp() }},
            cast({{ quote_literal(run_started_at.strftime("%Y-%m-%d %H:%M:%S")) }} as timestamp)
        ) + to_days(cast({{ number_var('plausible_timestamp_max_days_ahead') }} as integer))
    )
{% endmacro %}

{#- Spark timestamps are finite (parse_timestamp reads infinity as year 9999) -#}
{% macro spark__is_implausible_timestamp(expression) %}
    (
        {{ expression }} < cast({{ quote_literal(var('plausible_timestamp_min')) }} as timestamp)
        or {{ expression }} > {{ dbt.dateadd(
            'day',
            'cast(' ~ number_var('plausible_timestamp_max_days_ahead') ~ ' as integer)',
            'greatest(' ~ as_of_timestamp() ~ ', cast('
                ~ quote_literal(run_started_at.strftime("%Y-%m-%d %H:%M:%S")) ~ ' as timestamp))'
        ) }}
    )
{% endmacro %}
