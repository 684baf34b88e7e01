{% macro empty_erased_rows(relation, keep=[]) %}
    {#- The final select of a base model, over the result of
        select_classified_rows: a row rejected as 'erased' keeps its
        rejection_reason and nothing else (every other column null, raw_record
        included), so it is still counted (audit_row_counts: raw = accepted +
        rejected + duplicates) but holds nothing of the person. rejection_reason
        moves to the last column. keep: columns that hold nothing of a person
        (an event's day, a digest of the project's settings), kept for erased
        rows too, before rejection_reason. -#}
    {{ return(adapter.dispatch('empty_erased_rows', 'email_personalization')(relation, keep)) }}
{% endmacro %}

{% macro default__empty_erased_rows(relation, keep) %}
    select
        case
            when rejection_reason = 'erased' then null
            else columns(* exclude (rejection_reason{% for column in keep %}, {{ column }}{% endfor %}))
        end,
        {%- for column in keep %}
        {{ column }},
        {%- endfor %}
        rejection_reason
    from {{ relation }}
{% endmacro %}

{#- Spark: the other columns as one struct, null for an erased row, expanded again -#}
{% macro spark__empty_erased_rows(relation, keep) %}
    select
        kept.row_values.*,
        {%- for column in keep %}
        kept.{{ column }},
        {%- endfor %}
        kept.rejection_reason
    from (
        select
            case
                when erasable.rejection_reason = 'erased' then null
                else struct(erasable.* except (rejection_reason{% for column in keep %}, {{ column }}{% endfor %}))
            end as row_values,
            {%- for column in keep %}
            erasable.{{ column }},
            {%- endfor %}
            erasable.rejection_reason
        from {{ relation }} as erasable
    ) as kept
{% endmacro %}
