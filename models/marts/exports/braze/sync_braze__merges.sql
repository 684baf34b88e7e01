{#-
    Braze merges to apply: one row per external_id that was merged into
    another (dim_customer_external_ids), as an item of /users/merge's
    merge_updates. identifier_to_keep is the id the person goes by now, so a
    merge applied late, or after a later merge of the kept id, still lands on a
    live profile. Apply each row once (insert mode keyed by
    identifier_to_merge_external_id), oldest merged_at first.
-#}

with

external_ids as (
    select * from {{ ref('dim_customer_external_ids') }}
),

content as (
    select
        external_id as identifier_to_merge_external_id,
        current_external_id as identifier_to_keep_external_id,
        merged_at,
        -- {"identifier_to_merge": {"external_id": ...}, "identifier_to_keep": {...}}
        '{"identifier_to_merge":'
        || cast({{ json_object([('external_id', 'external_id')]) }} as {{ dbt.type_string() }})
        || ',"identifier_to_keep":'
        || cast({{ json_object([('external_id', 'current_external_id')]) }} as {{ dbt.type_string() }})
        || '}' as merge_update
    from external_ids
    where
        merged_into_external_id is not null
        and current_external_id != external_id
        -- the kept id is gone when its person was erased: nothing left to merge into
        and current_external_id in (
            select kept.external_id
            from external_ids as kept
            where kept.erased_at is null
        )
)

{{ select_with_change_tracking('content', 'identifier_to_merge_external_id') }}
