{% macro erasure_requests() %}
    {#- Every erasure request as one email_sha256 per row: seeds/erasure_requests.csv
        plus the var erasure_email_sha256s. Each var value must be a SHA-256 hex
        digest (64 characters 0-9 a-f, any case, padding trimmed): anything else
        stops compilation, naming its position but not the value, which may be an
        email pasted by mistake. -#}
    {%- set requested = var('erasure_email_sha256s') -%}
    {%- if requested is string or requested is mapping or requested is not iterable -%}
        {{ exceptions.raise_compiler_error(
            "var erasure_email_sha256s must be a list of SHA-256 hex digests, e.g. [\"9f86d0...\"]"
        ) }}
    {%- endif %}
    {#- a seed value that is no digest fails the build (DuckDB's error(), Spark's
        raise_error()), naming its row where the engine numbers rows in file order -#}
    select
        case
            when {{ regexp_full_match('lower(trim(email_sha256))', regex_literal('[0-9a-f]{64}')) }}
                then lower(trim(email_sha256))
            else {{ erasure_requests_error() }}
        end as email_sha256
    from {{ ref('erasure_requests') }}
    {%- for sha in requested %}
        {%- set digest = sha | string | trim | lower %}
        {%- if not modules.re.fullmatch('[0-9a-f]{64}', digest) %}
            {{ exceptions.raise_compiler_error(
                "var erasure_email_sha256s: value " ~ loop.index ~ " is not a SHA-256 hex digest (64 characters 0-9 a-f; "
                ~ "got " ~ digest | length ~ " characters). Hash the lowercased, trimmed email, e.g. "
                ~ "printf '%s' 'ava@example.com' | sha256sum"
            ) }}
        {%- endif %}
    union all
    select {{ quote_literal(digest) }} as email_sha256
    {%- endfor %}
{% endmacro %}

{% macro erasure_requests_error() %}
    {{- return(adapter.dispatch('erasure_requests_error', 'email_personalization')()) -}}
{% endmacro %}

{% macro default__erasure_requests_error() -%}
    error(
                'seeds/erasure_requests.csv: row ' || row_number() over ()
                || ' is not a SHA-256 hex digest (64 characters 0-9 a-f). Hash the lowercased, trimmed email.'
            )
{%- endmacro %}

{% macro spark__erasure_requests_error() -%}
    raise_error(
                'seeds/erasure_requests.csv: a row is not a SHA-256 hex digest (64 characters 0-9 a-f). '
                || 'Hash the lowercased, trimmed email.'
            )
{%- endmacro %}
