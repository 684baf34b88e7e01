{% macro select_classified_rows(relation, partition_by=none, order_by=none) %}
    {#- The final select of a base model. Keeps the raw row as JSON only where it
        was rejected (accepted rows live on, typed, in staging) and adds
        is_duplicate: true for every accepted row after the first of its key,
        the first by order_by and then by the raw row's hash, so the survivor
        does not depend on file order. `relation` must have rejection_reason,
        raw_hash and raw_row (the source row as a struct). -#}
    select
        compacted.*,
        {%- if partition_by %}
        (
            compacted.rejection_reason is null
            and row_number() over (
                partition by compacted.rejection_reason, {{ partition_by }}
                order by {{ order_by }}, compacted.raw_hash
            ) > 1
        ) as is_duplicate
        {%- else %}
        false as is_duplicate
        {%- endif %}
    from (
        select
            * exclude (raw_row),
            case when rejection_reason is not null then to_json(raw_row) end as raw_record
        from {{ relation }}
    ) as compacted
{% endmacro %}
