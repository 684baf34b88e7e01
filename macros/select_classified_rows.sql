{% macro select_classified_rows(relation, partition_by=none, order_by=none, compare=none, version=none) %}
    {#- The final select of a base model. Keeps the raw row as JSON only where it
        was rejected (accepted rows live on, typed, in staging) and adds
        is_duplicate: true for every accepted row after the first of its key,
        the first by order_by and then by the raw row's hash, so the survivor
        does not depend on file order. `relation` must have rejection_reason,
        raw_hash and raw_row (the source row as a struct).

        compare (comma-separated parsed columns): accepted rows sharing a key
        must agree on them to be duplicates. When they differ (a `refunded` and
        a `completed` row of one order id) no row is picked: every one of them
        is rejected as conflicting_duplicate. Parsed, typed columns are compared,
        so a formatting difference (' COMPLETED' vs 'completed') is no conflict.
        version (a column): a later value is an update that supersedes earlier
        rows (they stay duplicates); only rows tying on the key's latest version
        are compared. -#}
    select
        checked.* exclude (raw_row, is_conflicting_duplicate) replace (
            case
                when checked.is_conflicting_duplicate then 'conflicting_duplicate'
                else checked.rejection_reason
            end as rejection_reason
        ),
        case
            when checked.rejection_reason is not null or checked.is_conflicting_duplicate
                then to_json(checked.raw_row)
        end as raw_record,
        {%- if partition_by %}
        (
            checked.rejection_reason is null
            and not checked.is_conflicting_duplicate
            and row_number() over (
                partition by checked.rejection_reason, {{ partition_by }}
                order by {{ order_by }}, checked.raw_hash
            ) > 1
        ) as is_duplicate
        {%- else %}
        false as is_duplicate
        {%- endif %}
    from (
        select
            *,
            {%- if partition_by and compare %}
            coalesce(
                rejection_reason is null
                {%- if version %}
                and {{ version }} = max({{ version }}) over (partition by rejection_reason, {{ partition_by }})
                {%- endif %}
                and min(hash({{ compare }})) over (
                    partition by rejection_reason, {{ partition_by }}{{ ', ' ~ version if version }}
                ) != max(hash({{ compare }})) over (
                    partition by rejection_reason, {{ partition_by }}{{ ', ' ~ version if version }}
                ),
                false
            ) as is_conflicting_duplicate
            {%- else %}
            false as is_conflicting_duplicate
            {%- endif %}
        from {{ relation }}
    ) as checked
{% endmacro %}
