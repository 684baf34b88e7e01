{% macro select_classified_rows(relation, partition_by=none, order_by=none, compare=none, version=none) %}
    {#- The final select of a base model. Keeps the raw row as JSON only where it
        was rejected (accepted rows live on, typed, in staging) and adds
        is_duplicate: true for every accepted row after the first of its key,
        the first by order_by (nulls last on every engine) and then by the raw
        row's hash, so the survivor does not depend on file order. `relation`
        must have rejection_reason, raw_hash (e.g. md5 of the row's JSON) and
        raw_row: the source row as JSON text (macro row_json; on DuckDB a
        struct is written with to_json too).

        compare (comma-separated parsed columns): accepted rows sharing a key
        must agree on them to be duplicates. When they differ (a `refunded` and
        a `completed` row of one order id) no row is picked: every one of them
        is rejected as conflicting_duplicate. Parsed, typed columns are compared,
        so a formatting difference (' COMPLETED' vs 'completed') is no conflict.
        version (a column): a later value is an update that supersedes earlier
        rows (they stay duplicates); only rows tying on the key's latest version
        are compared. -#}
    {%- set ordered = [] -%}
    {%- for term in (order_by or '').split(',') if term | trim -%}
        {%- do ordered.append(term | trim if 'nulls ' in term | lower else (term | trim) ~ ' nulls last') -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('select_classified_rows', 'email_personalization')(
        relation, partition_by, ordered | join(', '), compare, version
    )) }}
{% endmacro %}

{% macro default__select_classified_rows(relation, partition_by, order_by, compare, version) %}
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
        {{ select_classified_rows_duplicate(partition_by, order_by) }}
    from ({{ select_classified_rows_conflicts(relation, partition_by, compare, version) }}) as checked
{% endmacro %}

{#- rejection_reason moves after the other columns (Spark cannot replace in place) -#}
{% macro spark__select_classified_rows(relation, partition_by, order_by, compare, version) %}
    select
        checked.* except (raw_row, is_conflicting_duplicate, rejection_reason),
        case
            when checked.is_conflicting_duplicate then 'conflicting_duplicate'
            else checked.rejection_reason
        end as rejection_reason,
        case
            when checked.rejection_reason is not null or checked.is_conflicting_duplicate
                then checked.raw_row
        end as raw_record,
        {{ select_classified_rows_duplicate(partition_by, order_by) }}
    from ({{ select_classified_rows_conflicts(relation, partition_by, compare, version) }}) as checked
{% endmacro %}

{#- the is_duplicate column of select_classified_rows (same SQL on every engine) -#}
{% macro select_classified_rows_duplicate(partition_by, order_by) %}
        {%- if partition_by %}
        (
            checked.rejection_reason is null
            and not checked.is_conflicting_duplicate
            and row_number() over (
                partition by checked.rejection_reason, {{ partition_by }}
                order by {{ order_by ~ ', ' if order_by }}checked.raw_hash
            ) > 1
        ) as is_duplicate
        {%- else %}
        false as is_duplicate
        {%- endif %}
{% endmacro %}

{#- every row of relation with is_conflicting_duplicate (same SQL on every engine):
    rows differ when their compared columns' fingerprints differ -#}
{% macro select_classified_rows_conflicts(relation, partition_by, compare, version) %}
        select
            *,
            {%- if partition_by and compare %}
            coalesce(
                rejection_reason is null
                {%- if version %}
                and {{ version }} = max({{ version }}) over (partition by rejection_reason, {{ partition_by }})
                {%- endif %}
                and min({{ row_fingerprint(compare) }}) over (
                    partition by rejection_reason, {{ partition_by }}{{ ', ' ~ version if version }}
                ) != max({{ row_fingerprint(compare) }}) over (
                    partition by rejection_reason, {{ partition_by }}{{ ', ' ~ version if version }}
                ),
                false
            ) as is_conflicting_duplicate
            {%- else %}
            false as is_conflicting_duplicate
            {%- endif %}
        from {{ relation }}
{% endmacro %}
