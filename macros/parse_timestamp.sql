{% macro parse_timestamp(expression) %}
    {#- A raw timestamp to a UTC timestamp without time zone; null when it cannot
        be read. Accepted, whatever the column's type (text, native timestamp,
        date, integer, decimal or double):
        - ISO-8601 text or a native timestamp/date, with or without an offset
          (none means UTC);
        - exactly 8 digits: a compact ISO date yyyymmdd (20260101), never an epoch;
        - any other plain number (optional sign and decimals, no exponent): Unix
          epoch time, its unit decided by magnitude: |v| in [1e8, 1e11) seconds,
          [1e11, 1e14) milliseconds, [1e14, 1e17) microseconds (each range spans
          1973-03-03 to 5138-11-16, so no plausible time is ambiguous). A number
          outside them (0, -1, 1e17 and up) is null: unparseable.
        Values outside the plausible range (year 1, 9999, infinity) are parsed here
        and rejected by is_implausible_timestamp. -#}
    {%- set text = "trim(cast(" ~ expression ~ " as varchar))" -%}
    {%- set number = "try_cast(" ~ text ~ " as decimal(38, 6))" -%}
    case
        when regexp_full_match({{ text }}, '[0-9]{8}')
            then try_strptime({{ text }}, '%Y%m%d')
        when regexp_full_match({{ text }}, '[+-]?[0-9]{1,30}(\.[0-9]*)?')
            then case
                when abs({{ number }}) >= 1e8 and abs({{ number }}) < 1e11
                    then make_timestamp(cast({{ number }} * 1000000 as bigint))
                when abs({{ number }}) >= 1e11 and abs({{ number }}) < 1e14
                    then make_timestamp(cast({{ number }} * 1000 as bigint))
                when abs({{ number }}) >= 1e14 and abs({{ number }}) < 1e17
                    then make_timestamp(cast({{ number }} as bigint))
            end
        else timezone('UTC', try_cast({{ text }} as timestamptz))
    end
{% endmacro %}
