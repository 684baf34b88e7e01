-- Mailchimp merge tags: uppercase, at most 10 characters, at most 30 fields.
with

merge_fields as (
    select column_name
    from information_schema.columns
    where table_name = 'sync_mailchimp__members'
        and table_schema = '{{ ref("sync_mailchimp__members").schema }}'
        and column_name not in ('email_address', 'status', 'row_hash', 'updated_at')
)

select
    column_name,
    'not an uppercase tag of at most 10 characters' as problem
from merge_fields
where not regexp_full_match(column_name, '[A-Z][A-Z0-9_]{0,9}')
union all
select
    cast(count(*) as varchar) as column_name,
    'more than 30 merge fields' as problem
from merge_fields
having count(*) > 30
