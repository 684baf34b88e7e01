{{ config(materialized='table') }}

with

source as (
    select * from {{ source('experiments', 'experiment_assignments') }}
),

parsed as (
    select
        {{ clean_text('source.experiment_id') }} as experiment_id,
        {{ clean_identifier('source.contact_id') }} as contact_id,
        {{ is_placeholder_identifier('source.contact_id') }} as has_placeholder_identifier,
        {{ clean_email('source.email') }} as email,
        {{ is_invalid_email('source.email') }} as has_invalid_email,
        {{ clean_text('source.variant') }} as variant,
        {{ parse_timestamp('source.assigned_at') }} as assigned_at,
        concat_ws(
            '|',
            cast(source.experiment_id as {{ dbt.type_string() }}),
            cast(source.contact_id as {{ dbt.type_string() }}),
            cast(source.email as {{ dbt.type_string() }})
        ) as raw_key,
        {{ is_erased_row(email='source.email', contact_id='source.contact_id') }} as is_erased,
        -- the raw row as JSON, and its md5 to break ties in the same order on every engine
        md5(cast(
            {{ row_json('source', source('experiments', 'experiment_assignments')) }} as {{ dbt.type_string() }}
        )) as raw_hash,
        {{ row_json('source', source('experiments', 'experiment_assignments')) }} as raw_row
    from source
),

classified as (
    select
        *,
        case
            -- a person who asked to be erased: counted, nothing else kept
            when is_erased then 'erased'
            when experiment_id is null then 'missing_experiment_id'
            when variant is null then 'missing_variant'
            when assigned_at is null then 'unparseable_assigned_at'
            when {{ is_implausible_timestamp('assigned_at') }} then 'out_of_range_assigned_at'
            when assigned_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
            -- an email that is no address: the row is kept by its contact id, else rejected saying so
            when contact_id is null and has_invalid_email then 'invalid_email'
            when contact_id is null and email is null then 'no_customer_identifier'
        end as rejection_reason
    from parsed
),

-- the same assignment delivered twice is collapsed
selected as (
    {{ select_classified_rows('classified', 'experiment_id, contact_id, email, variant, assigned_at', 'assigned_at') }}
)

{{ empty_erased_rows('selected') }}
