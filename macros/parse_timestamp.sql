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
    {%- set text = "trim(cast(" ~ expression ~ " as varchar))" -%}
    {%- set number = "try_cast(" ~ text ~ " as decimal(38, 6))" -%}
    {#- bounds are integer literals: compared as decimals, exactly (1e16 would be a double) -#}
    case
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
