{{ config(materialized='table') }}

with

source as (
    select * from {{ source('crm', 'crm_contacts') }}
),

country_aliases as (
    select
        alias,
        country_code
    from {{ ref('country_aliases') }}
),

time_zones as (
    {{ time_zone_names() }}
),

parsed as (
    select
        {{ clean_identifier('source.contact_id') }} as contact_id,
        {{ is_placeholder_identifier('source.contact_id') }} as has_placeholder_identifier,
        {{ clean_email('source.email') }} as email,
        {{ is_invalid_email('source.email') }} as has_invalid_email,
        {{ clean_text('source.first_name') }} as first_name,
        {{ clean_text('source.last_name') }} as last_name,
        {{ clean_text('source.country') }} as country_raw,
        {{ clean_text('source.timezone') }} as timezone_raw,
        {{ parse_timestamp('source.created_at') }} as created_at,
        {{ clean_text('source.created_at') }} is not null as has_created_at,
        {{ parse_timestamp('source.updated_at') }} as updated_at,
        cast(source.contact_id as {{ dbt.type_string() }}) as raw_key,
        {{ is_erased_row(email='source.email', contact_id='source.contact_id') }} as is_erased,
        -- the raw row as JSON, and its md5 to break ties in the same order on every engine
        md5(cast({{ row_json('source', source('crm', 'crm_contacts')) }} as {{ dbt.type_string() }})) as raw_hash,
        {{ row_json('source', source('crm', 'crm_contacts')) }} as raw_row
    from source
),

normalized as (
    select
        parsed.*,
        coalesce(
            country_aliases.country_code,
            {{ country_code_lookup('parsed.country_raw') }}
        ) as country_code,
        time_zones.time_zone
    from parsed
    left join country_aliases
        on lower(parsed.country_raw) = country_aliases.alias
    {{- country_code_lookup_join('parsed', 'parsed.country_raw') }}
    left join time_zones
        on parsed.timezone_raw = time_zones.time_zone
),

classified as (
    select
        *,
        case
            -- a person who asked to be erased: counted, nothing else kept
            when is_erased then 'erased'
            when has_placeholder_identifier then 'placeholder_contact_id'
            when contact_id is null then 'missing_contact_id'
            when updated_at is null then 'unparseable_updated_at'
            -- a signup time that is given but cannot be read, like any unreadable timestamp;
            -- a missing one (null or blank) is accepted as unknown
            when has_created_at and created_at is null then 'unparseable_created_at'
            when {{ is_implausible_timestamp('updated_at') }} then 'out_of_range_updated_at'
            when {{ is_implausible_timestamp('created_at') }} then 'out_of_range_created_at'
            when updated_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
            when created_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
        end as rejection_reason
    from normalized
),

-- a later updated_at is an update (latest wins); two latest versions that differ are a conflict
selected as (
    {{ select_classified_rows(
        'classified', 'contact_id', 'updated_at desc',
        compare='email, first_name, last_name, country_code, time_zone, created_at',
        version='updated_at',
    ) }}
)

{{ empty_erased_rows('selected') }}
