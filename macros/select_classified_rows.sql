{% macro select_classified_rows(
    relation, partition_by=none, order_by=none, compare=none, version=none, lazy_hash=false, rejected_key=none,
    repeated_flag=none
) %}
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
        are compared.
        lazy_hash: relation has no raw_hash; it is computed (md5 of row_text(raw_row))
        only for the accepted rows that share their one-column key, the only rows
        whose order it decides, and is null for every other row. For the large
        event tables: hashing every row's JSON cost a fifth of the model.
        rejected_key (a column, raw_key): kept, like raw_record, only where the row
        is rejected (null elsewhere: the accepted row's cleaned key is its key). For
        the large event tables, whose rejected rows are all the audit reads it for:
        writing the raw key of every accepted row again took about 4 s of
        base_web__events at 1,000,000 contacts.
        repeated_flag (a boolean column, with a one-column key): true where the row's
        key is held by more than one row of relation (macro repeated_keys_cte), found
        by the model next to its raw rows. Then the rows are split by it, a column
        DuckDB filters before it parses them, instead of by the parsed key: with the
        key parsed first, the rows of repeated keys were all parsed and classified
        twice, about a third of base_web__events and base_esp__email_events in a
        full build. Not in the result. -#}
    {%- set ordered = [] -%}
    {%- for term in (order_by or '').split(',') if term | trim -%}
        {%- do ordered.append(term | trim if 'nulls ' in term | lower else (term | trim) ~ ' nulls last') -%}
    {%- endfor -%}
    {%- if lazy_hash and (not partition_by or ',' in partition_by) -%}
        {{ exceptions.raise_compiler_error('select_classified_rows: lazy_hash needs a one-column key') }}
    {%- endif -%}
    {%- if repeated_flag and (not partition_by or ',' in partition_by) -%}
        {{ exceptions.raise_compiler_error('select_classified_rows: repeated_flag needs a one-column key') }}
    {%- endif -%}
    {{ return(adapter.dispatch('select_classified_rows', 'email_personalization')(
        relation, partition_by, ordered | join(', '), compare, version, lazy_hash, rejected_key, repeated_flag
    )) }}
{% endmacro %}

{% macro default__select_classified_rows(
    relation, partition_by, order_by, compare, version, lazy_hash=false, rejected_key=none, repeated_flag=none
) %}
    select
        checked.* exclude (
            raw_row, is_conflicting_duplicate, is_duplicate{{ ', ' ~ repeated_flag if repeated_flag }}
        ) replace (
            case
                when checked.is_conflicting_duplicate then 'conflicting_duplicate'
                else checked.rejection_reason
            end as rejection_reason
            {%- if rejected_key %},
            case
                when checked.rejection_reason is not null or checked.is_conflicting_duplicate
                    then checked.{{ rejected_key }}
            end as {{ rejected_key }}
            {%- endif %}
        ),
        case
            when checked.rejection_reason is not null or checked.is_conflicting_duplicate
                then to_json(checked.raw_row)
        end as raw_record,
        checked.is_duplicate
    from ({{ select_classified_rows_flags(
        relation, partition_by, order_by, compare, version, lazy_hash, repeated_flag
    ) }}) as checked
{% endmacro %}

{#- rejection_reason moves after the other columns (Spark cannot replace in place) -#}
{% macro spark__select_classified_rows(
    relation, partition_by, order_by, compare, version, lazy_hash=false, rejected_key=none, repeated_flag=none
) %}
    select
        checked.* except (
            raw_row, is_conflicting_duplicate, rejection_reason, is_duplicate{{ ', ' ~ rejected_key if rejected_key }}
            {{- ', ' ~ repeated_flag if repeated_flag }}
        ),
        {%- if rejected_key %}
        case
            when checked.rejection_reason is not null or checked.is_conflicting_duplicate
                then checked.{{ rejected_key }}
        end as {{ rejected_key }},
        {%- endif %}
        case
            when checked.is_conflicting_duplicate then 'conflicting_duplicate'
            else checked.rejection_reason
        end as rejection_reason,
        case
            when checked.rejection_reason is not null or checked.is_conflicting_duplicate
                then checked.raw_row
        end as raw_record,
        checked.is_duplicate
    from ({{ select_classified_rows_flags(
        relation, partition_by, order_by, compare, version, lazy_hash, repeated_flag
    ) }}) as checked
{% endmacro %}

{#- every row of relation with is_conflicting_duplicate and is_duplicate (same SQL on every engine).
    Only accepted rows sharing their key with another accepted row can be either, so with a one-column key
    the windows run over those rows alone (few: most keys are unique) and every other row is neither; a
    window over every row sorted the whole table with its raw JSON. A key of several columns (small tables,
    where a null in one column is part of the key) keeps the windows over every row.
    With a one-column key the rows are split by the key alone first: repeated_keys (every key of more than
    one row, found from the key column only) and keyed_rows (the rows with such a key or none, a superset of
    those that share their key with another accepted row). Every other row is read once, straight into the
    result, so relation is never held whole: the base models of the large event tables inline their CTEs up
    to it (event_slice_inlined). Deciding "accepted and repeated among the accepted" over every row held all
    41 M web events of 1,000,000 contacts at once and read them twice: base_web__events 83 s against 37 s. -#}
{% macro select_classified_rows_flags(
    relation, partition_by, order_by, compare, version, lazy_hash=false, repeated_flag=none
) %}
    {%- if not partition_by %}
        select
            *,
            false as is_conflicting_duplicate,
            false as is_duplicate
        from {{ relation }}
    {%- elif ',' in partition_by %}
        select
            conflicts.*,
            {{ select_classified_rows_duplicate(partition_by, order_by, 'conflicts') }}
        from ({{ select_classified_rows_conflicts(relation, partition_by, compare, version) }}) as conflicts
    {%- else %}
        {%- set shared -%}
            (
                rejection_reason is null
                and (
                    {{ partition_by }} is null
                    or {{ partition_by }} in (
                        select accepted.{{ partition_by }}
                        from keyed_rows as accepted
                        where accepted.rejection_reason is null and accepted.{{ partition_by }} is not null
                        group by accepted.{{ partition_by }}
                        having count(*) > 1
                    )
                )
            )
        {%- endset %}
        {%- set hashed = ', md5(' ~ row_text('raw_row') ~ ') as raw_hash' if lazy_hash else '' %}
        {#- the columns of a row that is neither conflicting nor a duplicate -#}
        {%- set neither -%}
            *,
            {%- if lazy_hash %}
            cast(null as {{ dbt.type_string() }}) as raw_hash,
            {%- endif %}
            false as is_conflicting_duplicate,
            false as is_duplicate
        {%- endset %}
        {%- if repeated_flag %}
            {%- set is_repeated, not_repeated = repeated_flag, 'not ' ~ repeated_flag %}
        {%- else %}
            {%- set keys = ' in (select repeated_keys.repeated_key from repeated_keys)' %}
            {%- set is_repeated, not_repeated = partition_by ~ keys, partition_by ~ ' not' ~ keys %}
        {%- endif %}
        with
        {%- if not repeated_flag %}

        repeated_keys as {{ cte_hint(materialized=true) }} (
            {{ repeated_keys_cte(relation, partition_by) }}
        ),
        {%- endif %}

        keyed_rows as {{ cte_hint(materialized=true) }} (
            select *
            from {{ relation }}
            where {{ partition_by }} is null
                or {{ is_repeated }}
        )

        select
            conflicts.*,
            {{ select_classified_rows_duplicate(partition_by, order_by, 'conflicts') }}
        from (
            {{ select_classified_rows_conflicts(
                '(select *' ~ hashed ~ ' from keyed_rows where ' ~ shared ~ ') as shared_key',
                partition_by, compare, version
            ) }}
        ) as conflicts
        union all
        select {{ neither }}
        from keyed_rows
        where not {{ shared }}
        union all
        select {{ neither }}
        from {{ relation }}
        where {{ partition_by }} is not null
            and {{ not_repeated }}
    {%- endif %}
{% endmacro %}

{% macro repeated_keys_cte(relation, key) %}
    {#- The keys (key: an expression over relation's raw rows, the base model's
        parsed key) held by more than one row of relation, once each: a base model
        left joins them to its raw rows for select_classified_rows' repeated_flag. -#}
    select {{ key }} as repeated_key
    from {{ relation }}
    where {{ key }} is not null
    group by {{ key }}
    having count(*) > 1
{% endmacro %}

{#- the is_duplicate column of select_classified_rows, over `alias` (same SQL on every engine) -#}
{% macro select_classified_rows_duplicate(partition_by, order_by, alias) %}
        {%- if partition_by %}
        (
            {{ alias }}.rejection_reason is null
            and not {{ alias }}.is_conflicting_duplicate
            and row_number() over (
                partition by {{ alias }}.rejection_reason, {{ partition_by }}
                order by {{ order_by ~ ', ' if order_by }}{{ alias }}.raw_hash
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
