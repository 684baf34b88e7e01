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

with

exported_columns as (
    select column_name
    from information_schema.columns
    where table_name = 'sync_hubspot__contacts'
        and table_schema = '{{ ref("sync_hubspot__contacts").schema }}'
        and column_name not in ('row_hash', 'updated_at')
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

enumeration_options as (
    select
        property_name,
        unnest(string_split(property_options, ';')) as option_value
    from definitions
    where property_type in ('enumeration', 'bool')
),

exported_values as (
    {%- for column in enumerations %}
    select distinct
        '{{ column }}' as property_name,
        cast({{ column }} as varchar) as exported_value
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
anti join definitions
    on exported_columns.column_name = definitions.property_name
union all
select
    definitions.property_name,
    'defined in seeds/hubspot_properties.csv but not exported' as problem
from definitions
anti join exported_columns
    on definitions.property_name = exported_columns.column_name
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
anti join enumeration_options
    on exported_values.property_name = enumeration_options.property_name
    and exported_values.exported_value = enumeration_options.option_value
