-- HubSpot properties: the export's columns and seeds/hubspot_properties.csv
-- agree both ways, and every value the export holds in an enumeration or bool
-- property is one of that property's shipped options (HubSpot refuses any
-- other value).
{%- set enumerations = [
    'rfm_segment',
    'customer_lifecycle_stage',
    'engagement_tier',
    'action_tier',
    'in_global_holdout',
] %}

{%- set exported = ref('sync_hubspot__contacts') %}
{%- set columns = adapter.get_columns_in_relation(exported) if execute else [] %}

with

exported_columns as (
    -- the columns as the warehouse holds them (every engine's catalog)
    select table_columns.column_name
    from (
        values
        {%- for column in columns if column.name not in ('row_hash', 'updated_at') %}
        ('{{ column.name }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as table_columns (column_name)
),

definitions as (
    select
        name as property_name,
        type as property_type,
        options as property_options
    from {{ ref('hubspot_properties') }}
),

contacts as (
    select * from {{ ref('sync_hubspot__contacts') }}
),

exported_values as (
    {%- for column in enumerations %}
    select distinct
        '{{ column }}' as property_name,
        cast({{ column }} as {{ dbt.type_string() }}) as exported_value
    from contacts
    where {{ column }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    exported_columns.column_name as property_name,
    'exported but not defined in seeds/hubspot_properties.csv' as problem
from exported_columns
where
    not exists (
        select 1
        from definitions
        where definitions.property_name = exported_columns.column_name
    )
union all
select
    definitions.property_name,
    'defined in seeds/hubspot_properties.csv but not exported' as problem
from definitions
where
    not exists (
        select 1
        from exported_columns
        where exported_columns.column_name = definitions.property_name
    )
union all
select
    definitions.property_name,
    'an enumeration or bool the export does not check' as problem
from definitions
where definitions.property_type in ('enumeration', 'bool')
    and definitions.property_name not in (
        {%- for column in enumerations %}
        '{{ column }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )
union all
select
    exported_values.property_name,
    'exports "' || exported_values.exported_value || '", not among its options' as problem
from exported_values
where
    not exists (
        -- one of the ;-separated options
        select 1
        from definitions
        where definitions.property_type in ('enumeration', 'bool')
            and definitions.property_name = exported_values.property_name
            and instr(';' || definitions.property_options || ';', ';' || exported_values.exported_value || ';') > 0
    )
