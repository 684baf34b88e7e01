{% macro parse_timestamp(expression) %}
    {#- A raw timestamp to a UTC timestamp without time zone; null when it cannot
        be read. Accepted, whatever the column's type (text, native timestamp,
        date, integer, decimal or double):
        - ISO-8601 text or a native timestamp/date, with or without an offset
          (none means UTC);
        - exactly 8 digits: a compact ISO date yyyymmdd (20260101), never an epoch;
        - any other plain number (optional sign and decimals, no exponent): Unix
          epoch time, its unit decided by magnitude: |v| in [1e8, 1e10) seconds
          (1973-03-03 to 2286-11-20), [1e12, 1e13) milliseconds and [1e15, 1e16)
          microseconds (both 2001-09-09 to 2286-11-20). Any other number (0, -1,
          the gaps between the ranges, 1e16 and up) is null: unparseable. The
          gaps keep a year-9999 sentinel in seconds (2.5e11) or milliseconds
          (2.5e14) from being misread as a plausible 1978 in the next unit.
        Values outside the plausible range (year 1, 9999, infinity) are parsed here
        and rejected by is_implausible_timestamp. -#}
    {{ return(adapter.dispatch('parse_timestamp', 'email_personalization')(expression)) }}
{% endmacro %}

{% macro default__parse_timestamp(expression) %}
    {%- set text = "trim(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "))" -%}
    {%- set number = "try_cast(" ~ text ~ " as decimal(38, 6))" -%}
    {#- bounds are integer literals: compared as decimals, exactly (1e16 would be a double) -#}
    {#- ISO text, most raw times, first: with a '-' fifth it is neither number shape below (a sign may only
        come first), so it skips their two regular expressions (4 M raw order times at 1,000,000 contacts:
        0.7 s against 0.85 s a read) and is read as the last branch reads it #}
    case
        when {{ text }} like '____-%'
            then timezone('UTC', try_cast({{ text }} as timestamptz))
        when regexp_full_match({{ text }}, '[0-9]{8}')
            then try_strptime({{ text }}, '%Y%m%d')
        when regexp_full_match({{ text }}, '[+-]?[0-9]{1,30}(\.[0-9]*)?')
            then case
                when abs({{ number }}) >= 100000000 and abs({{ number }}) < 10000000000
                    then make_timestamp(cast({{ number }} * 1000000 as bigint))
                when abs({{ number }}) >= 1000000000000 and abs({{ number }}) < 10000000000000
                    then make_timestamp(cast({{ number }} * 1000 as bigint))
                when abs({{ number }}) >= 1000000000000000 and abs({{ number }}) < 10000000000000000
                    then make_timestamp(cast({{ number }} as bigint))
            end
        else timezone('UTC', try_cast({{ text }} as timestamptz))
    end
{% endmacro %}

{#- Spark has no infinite timestamp: 'infinity' / '-infinity' (as DuckDB reads
    them) become 9999-12-31 23:59:59.999999 and 0001-01-01, and so do dates
    DuckDB reads beyond year 9999 or before year 1 ('290309-12-22 (BC)'), which
    is_implausible_timestamp rejects as out of range, as on DuckDB. Text is
    read only in the ISO-8601 shapes DuckDB reads (Spark alone would read
    '2026-03' or '2026-03-01T10'); a yyyymmdd date through its ISO form; an
    epoch number rounded to the microsecond as DuckDB's cast to bigint does. -#}
{% macro spark__parse_timestamp(expression) %}
    {#- a double reads as DuckDB writes it as text (Spark would write 1.772359200123E12) -#}
    {%- set text -%}
        trim(case
            when typeof({{ expression }}) not in ('double', 'float') then cast({{ expression }} as string)
            when abs(cast({{ expression }} as double)) = double('infinity')
                then case when cast({{ expression }} as double) > 0 then 'infinity' else '-infinity' end
            else cast(cast({{ expression }} as decimal(38, 6)) as string)
        end)
    {%- endset -%}
    {%- set number = "try_cast(" ~ text ~ " as decimal(38, 6))" -%}
    {%- set iso -%}
        [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)? ?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?|UTC)?
    {%- endset %}
    {%- set bc_or_far -%}
        ([0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}[^(]* \(BC\)|[0-9]{5,6}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9:.]*)?)
    {%- endset %}
    case
        when {{ regexp_full_match(text, regex_literal('[0-9]{8}')) }}
            then try_cast(
                concat(substr({{ text }}, 1, 4), '-', substr({{ text }}, 5, 2), '-', substr({{ text }}, 7, 2))
                as timestamp
            )
        when {{ regexp_full_match(text, regex_literal('[+-]?[0-9]{1,30}(\\.[0-9]*)?')) }}
            then case
                when abs({{ number }}) >= 100000000 and abs({{ number }}) < 10000000000
                    then timestamp_micros(cast(round({{ number }} * 1000000) as bigint))
                when abs({{ number }}) >= 1000000000000 and abs({{ number }}) < 10000000000000
                    then timestamp_micros(cast(round({{ number }} * 1000) as bigint))
                when abs({{ number }}) >= 1000000000000000 and abs({{ number }}) < 10000000000000000
                    then timestamp_micros(cast(round({{ number }}) as bigint))
            end
        when lower({{ text }}) in ('infinity', '+infinity', 'inf', '+inf')
            then timestamp '9999-12-31 23:59:59.999999'
        when lower({{ text }}) in ('-infinity', '-inf')
            then timestamp '0001-01-01 00:00:00'
        when {{ regexp_full_match(text, regex_literal(iso)) }}
            then try_cast({{ text }} as timestamp)
        -- dates DuckDB reads beyond Spark's years 1 to 9999: out of range either way
        when {{ regexp_full_match(text, regex_literal(bc_or_far)) }}
            then case
                when {{ text }} like '%(BC)' then timestamp '0001-01-01 00:00:00'
                else timestamp '9999-12-31 23:59:59.999999'
            end
    end
{% endmacro %}

{% macro native_timestamp_type(relation, column) %}
    {#- In a DuckDB run, 'timestamp' or 'timestamptz' when the raw column is a
        native timestamp (without or with time zone), which parse_raw_timestamp
        reads without parsing text; none otherwise (text or another type,
        another engine, a unit test, whose fixtures replace the raw table). -#}
    {%- if execute and this is not none and target.type == 'duckdb' -%}
        {%- for found in adapter.get_columns_in_relation(relation) if found.name | lower == column | lower -%}
            {%- if found.dtype | upper == 'TIMESTAMP' -%}
                {{ return('timestamp') }}
            {%- elif found.dtype | upper in ('TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ') -%}
                {{ return('timestamptz') }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}

{% macro parse_raw_timestamp(relation, column, qualifier=none) %}
    {#- parse_timestamp of a raw column, cheaper when the raw column is a native
        timestamp on DuckDB: the general macro writes it as text and reads the
        text back (about 2 microseconds a row), which for a TIMESTAMP (no time
        zone: UTC, the profile's TimeZone) gives the value itself and for a
        TIMESTAMP WITH TIME ZONE its UTC time. Any other type, engine, or a unit
        test (whose fixtures replace the raw table) takes parse_timestamp. -#}
    {%- set expression = (qualifier ~ '.' if qualifier else '') ~ column -%}
    {%- set native = native_timestamp_type(relation, column) -%}
    {%- if native == 'timestamp' -%}
        {{ return('cast(' ~ expression ~ ' as timestamp)') }}
    {%- elif native == 'timestamptz' -%}
        {{ return("timezone('UTC', " ~ expression ~ ")") }}
    {%- endif -%}
    {{ return(parse_timestamp(expression)) }}
{% endmacro %}
