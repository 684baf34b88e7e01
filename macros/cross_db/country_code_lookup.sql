{#- Country and time-zone lookups of base_crm__contacts. DuckDB (default__): the
    Python UDF normalize_country (python_udfs/countries.py, pycountry) and
    pg_timezone_names(), as the model always read them. Engines without the UDF
    (spark__): joins to the seeds scripts/generate_lookup_seeds.py writes from
    pycountry and the IANA list (country_names, country_search_names,
    time_zones).

    country_code_lookup(expression): the code normalize_country gives the text
    `expression`; on Spark it names the column of the join that
    country_code_lookup_join(relation, expression) adds to the query (DuckDB:
    no join). The Spark form does what normalize_country does:
      1. fold the text as it does (accents off, whitespace collapsed, trimmed,
         lowercase: macro ascii_fold);
      2. a folded spelling of country_names takes its code (empty: normalize_country
         answers none, e.g. an ambiguous name), which covers every spelling it
         decides without a substring search;
      3. another two letters is no code;
      4. otherwise its fuzzy step: the countries whose name, official name,
         comment or subdivision name (country_search_names) contain the text;
         exactly one is the answer, none or several is no code. -#}
{% macro country_code_lookup(expression) -%}
    {{ return(adapter.dispatch('country_code_lookup', 'email_personalization')(expression)) }}
{%- endmacro %}

{% macro default__country_code_lookup(expression) -%}
    normalize_country({{ expression }})
{%- endmacro %}

{% macro spark__country_code_lookup(expression) -%}
    country_lookups.country_code
{%- endmacro %}

{% macro country_code_lookup_join(relation, expression) -%}
    {{ return(adapter.dispatch('country_code_lookup_join', 'email_personalization')(relation, expression)) }}
{%- endmacro %}

{% macro default__country_code_lookup_join(relation, expression) -%}
{%- endmacro %}

{% macro spark__country_code_lookup_join(relation, expression) -%}
    {%- set folded = ascii_fold(expression) %}
    left join (
        select
            spellings.folded,
            case
                when known.spelling is not null then nullif(known.country_code, '')
                when spellings.folded rlike '^[a-z][a-z]$' then null
                else searched.country_code
            end as country_code
        from (select distinct {{ folded }} as folded from {{ relation }}) as spellings
        left join {{ ref('country_names') }} as known
            on spellings.folded = known.spelling
        left join (
            select
                candidates.folded,
                case when count(distinct names.country_code) = 1 then min(names.country_code) end as country_code
            from (select distinct {{ folded }} as folded from {{ relation }}) as candidates
            inner join {{ ref('country_search_names') }} as names
                on instr(names.search_text, candidates.folded) > 0
            group by candidates.folded
        ) as searched
            on spellings.folded = searched.folded
        where spellings.folded is not null
    ) as country_lookups
        on {{ folded }} = country_lookups.folded
{%- endmacro %}
