-- Mailchimp merge tags: uppercase, at most 10 characters, at most 30 fields,
-- and exactly the merge fields seeds/mailchimp_merge_fields.csv defines (both
-- ways: a column without a definition would be refused by Mailchimp, a
-- definition without a column is a field users create for nothing).
{%- set exported = ref('sync_mailchimp__members') %}
{%- set columns = adapter.get_columns_in_relation(exported) if execute else [] %}
{%- set not_merge_fields = ['email_address', 'status', 'status_if_new', 'row_hash', 'updated_at'] %}

with

merge_fields as (
    -- the columns as the warehouse holds them (every engine's catalog)
    select table_columns.column_name
    from (
        values
        {%- for column in columns if column.name not in not_merge_fields %}
        ('{{ column.name }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as table_columns (column_name)
),

definitions as (
    select tag
    from {{ ref('mailchimp_merge_fields') }}
)

select
    column_name,
    'not an uppercase tag of at most 10 characters' as problem
from merge_fields
where not {{ regexp_full_match('column_name', "'[A-Z][A-Z0-9_]{0,9}'") }}
union all
select
    cast(count(*) as {{ dbt.type_string() }}) as column_name,
    'more than 30 merge fields' as problem
from merge_fields
having count(*) > 30
union all
select
    merge_fields.column_name,
    'exported but not defined in seeds/mailchimp_merge_fields.csv' as problem
from merge_fields
where
    not exists (
        select 1
        from definitions
        where definitions.tag = merge_fields.column_name
    )
union all
select
    definitions.tag as column_name,
    'defined in seeds/mailchimp_merge_fields.csv but not exported' as problem
from definitions
where
    not exists (
        select 1
        from merge_fields
        where merge_fields.column_name = definitions.tag
    )
