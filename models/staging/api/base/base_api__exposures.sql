{{ config(materialized='table') }}

{#-
    Every line of the API's exposure log (source api.api_exposures: the
    project's own files, not a raw contract table), parsed and classified. A
    line that is not a JSON object is rejected as malformed_json and only its
    file and line number are kept, never its text. An external_id holding an
    '@' is an email where only the ESP's hashed id may be: rejected, and the
    value is not kept. The same exposure logged twice is collapsed.
-#}

with

source as (
    select * from {{ source('api', 'api_exposures') }}
),

lines as (
    select
        file_name,
        line_number,
        {{ is_json_object('line') }} as is_json_object,
        line
    from source
),

fields as (
    select
        file_name,
        line_number,
        is_json_object,
        case when is_json_object then {{ json_text('line', "'$.experiment_id'") }} end as raw_experiment_id,
        case when is_json_object then {{ json_text('line', "'$.external_id'") }} end as raw_external_id,
        case when is_json_object then {{ json_text('line', "'$.variant'") }} end as raw_variant,
        case when is_json_object then {{ json_text('line', "'$.exposed_at'") }} end as raw_exposed_at,
        case when is_json_object then {{ json_text('line', "'$.endpoint'") }} end as raw_endpoint
    from lines
),

parsed as (
    select
        file_name,
        line_number,
        is_json_object,
        {{ clean_text('raw_experiment_id') }} as experiment_id,
        {{ clean_identifier('raw_external_id') }} as external_id,
        coalesce(contains(raw_external_id, '@'), false) as has_email_as_external_id,
        {{ clean_text('raw_variant') }} as variant,
        {{ parse_timestamp('raw_exposed_at') }} as exposed_at,
        {{ clean_text('raw_endpoint') }} as endpoint,
        case
            when is_json_object
                then concat_ws(
                        '|',
                        raw_experiment_id,
                        case when not contains(raw_external_id, '@') then raw_external_id end,
                        raw_exposed_at
                    )
            else file_name || ':' || line_number
        end as raw_key,
        -- what a rejected row keeps: the fields, never an email nor a malformed line's text
        case
            when is_json_object
                then {{ json_object([
                    ('file_name', 'file_name'),
                    ('line_number', 'line_number'),
                    ('experiment_id', 'raw_experiment_id'),
                    ('external_id', "case when not contains(raw_external_id, '@') then raw_external_id end"),
                    ('variant', 'raw_variant'),
                    ('exposed_at', 'raw_exposed_at'),
                    ('endpoint', 'raw_endpoint'),
                ]) }}
            else {{ json_object([
                    ('file_name', 'file_name'),
                    ('line_number', 'line_number'),
                    ('experiment_id', 'null'),
                    ('external_id', 'null'),
                    ('variant', 'null'),
                    ('exposed_at', 'null'),
                    ('endpoint', 'null'),
                ]) }}
        end as raw_row
    from fields
),

classified as (
    select
        *,
        {{ row_fingerprint([
            'experiment_id', 'external_id', 'variant', 'exposed_at', 'endpoint', 'file_name', 'line_number',
        ]) }} as raw_hash,
        case
            when not is_json_object then 'malformed_json'
            when has_email_as_external_id then 'email_as_external_id'
            when experiment_id is null then 'missing_experiment_id'
            when external_id is null then 'missing_external_id'
            when variant is null then 'missing_variant'
            when exposed_at is null then 'unparseable_exposed_at'
            when {{ is_implausible_timestamp('exposed_at') }} then 'out_of_range_exposed_at'
            when exposed_at >= {{ as_of_timestamp() }} then 'after_as_of_date'
        end as rejection_reason
    from parsed
),

-- the same exposure written twice (a retried append) is collapsed
selected as (
    {{ select_classified_rows(
        'classified', 'experiment_id, external_id, variant, exposed_at, endpoint', 'file_name, line_number'
    ) }}
)

select
    file_name,
    line_number,
    experiment_id,
    external_id,
    variant,
    exposed_at,
    endpoint,
    raw_key,
    raw_hash,
    rejection_reason,
    raw_record,
    is_duplicate
from selected
