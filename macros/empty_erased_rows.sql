{% macro empty_erased_rows(relation) %}
    {#- The final select of a base model, over the result of
        select_classified_rows: a row rejected as 'erased' keeps its
        rejection_reason and nothing else (every other column null, raw_record
        included), so it is still counted (audit_row_counts: raw = accepted +
        rejected + duplicates) but holds nothing of the person. rejection_reason
        moves to the last column. -#}
    select
        case
            when rejection_reason = 'erased' then null
            else columns(* exclude (rejection_reason))
        end,
        rejection_reason
    from {{ relation }}
{% endmacro %}
