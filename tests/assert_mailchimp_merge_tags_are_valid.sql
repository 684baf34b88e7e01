-- Mailchimp merge tags: uppercase, at most 10 characters, at most 30 fields,
-- and exactly the merge fields seeds/mailchimp_merge_fields.csv defines (both
-- ways: a column without a definition would be refused by Mailchimp, a
-- definition without a column is a field users create for nothing).
with

merge_fields as (
    select column_name
    from information_schema.columns
    where table_name = 'sync_mailchimp__members'
        and table_schema = '{{ ref("sync_mailchimp__members").schema }}'
        and column_name not in ('email_address', 'status', 'status_if_new', 'row_hash', 'updated_at')
),

definitions as (
    select tag
    from {{ ref('mailchimp_merge_fields') }}
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
union all
select
    merge_fields.column_name,
    'exported but not defined in seeds/mailchimp_merge_fields.csv' as problem
from merge_fields
anti join definitions
    on merge_fields.column_name = definitions.tag
union all
select
    definitions.tag as column_name,
    'defined in seeds/mailchimp_merge_fields.csv but not exported' as problem
from definitions
anti join merge_fields
    on definitions.tag = merge_fields.column_name
