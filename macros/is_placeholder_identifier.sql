{% macro is_placeholder_identifier(expression) %}
    {#- True when the value is given (not null or blank) but is a placeholder
        listed in the identifier_placeholders seed or the text 'null' (which
        no seed can hold on adapters that load seeds through agate: it reads
        as a null there), compared trimmed and lowercased; false otherwise. -#}
    {{- return(adapter.dispatch('is_placeholder_identifier', 'email_personalization')(expression)) -}}
{% endmacro %}

{% macro default__is_placeholder_identifier(expression) %}
    coalesce(
        lower({{ clean_text(expression) }}) in (
            {{ identifier_placeholders_select() }}
        ),
        false
    )
{% endmacro %}

{#- DuckDB: the placeholders as one list, read once per query. An `in (select ...)` is a join of every row
    with the seed at each use, and again at each read of an inlined CTE (event_slice_inlined): the full build
    of base_web__events (41 M rows at 1,000,000 contacts) took 74 s so, 46 s with the list. -#}
{% macro duckdb__is_placeholder_identifier(expression) %}
    coalesce(
        list_contains(
            (select list(placeholders.placeholder) from ({{ identifier_placeholders_select() }}) as placeholders),
            lower({{ clean_text(expression) }})
        ),
        false
    )
{% endmacro %}

{% macro identifier_placeholders_select() %}
            select identifier_placeholders.placeholder
            from {{ ref('identifier_placeholders') }} as identifier_placeholders
            union all
            select 'null'
{%- endmacro %}
