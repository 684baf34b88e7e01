{% macro flag_duplicates(partition_by, order_by) %}
    {#- True for every accepted row after the first of its key (the survivor is
        the first by order_by, then by raw content, so the choice does not
        depend on file order). Rejected rows are never duplicates. -#}
    (
        rejection_reason is null
        and row_number() over (
            partition by rejection_reason, {{ partition_by }}
            order by {{ order_by }}, raw_record
        ) > 1
    )
{% endmacro %}
