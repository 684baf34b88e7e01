{% macro register_raw_sources() %}
    {#- Runs before every dbt command (on-run-start). In file mode it exposes each
        raw file as a view in the schema raw_files; in schema mode (var
        raw_schema) it reads the user's tables. A CSV line that cannot be a row is
        skipped and listed (with its line number) in raw_files.malformed_lines; a
        CSV file that cannot be read at all stops the run. Either way it then checks every
        source against the raw contract and stops the run early, naming each
        missing table and column. Reading files is DuckDB's (duckdb__ below); on
        other engines (default__) only schema mode exists. -#}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(adapter.dispatch('register_raw_sources')()) }}
{% endmacro %}

{% macro raw_contract_sources() %}
    {#- The raw contract's tables: every source of the project but the project's
        own files (meta raw_contract: false: the API's exposure log, registered
        by register_api_exposures, whatever the mode). -#}
    {%- set raw_sources = [] -%}
    {%- for src in graph.sources.values() if src.package_name == project_name -%}
        {%- if (src.meta or {}).get('raw_contract', true) and (src.config.meta or {}).get('raw_contract', true) -%}
            {%- do raw_sources.append(src) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(raw_sources) }}
{% endmacro %}

{% macro default__register_raw_sources() %}
    {#- A warehouse (Spark...): the raw contract tables are the var raw_schema's.
        The malformed-lines table exists (empty: no file was read) so the audit
        models read it on every engine; the API's exposure log is DuckDB's
        (register_api_exposures). Then the same contract check as on DuckDB. -#}
    {%- set raw_schema = var('raw_schema', none) -%}
    {%- if raw_schema is none or raw_schema == '' -%}
        {{ exceptions.raise_compiler_error(
            "Reading raw files (RAW_DATA_DIR) needs DuckDB; on " ~ target.type ~ " the raw contract tables "
            ~ "are read from a schema: set the var raw_schema (e.g. --vars '{raw_schema: raw}'), and "
            ~ "raw_database if they live in another database. See the raw contract in the README."
        ) }}
    {%- endif -%}
    {%- set malformed = api.Relation.create(
        database=target.get('database'), schema='raw_files', identifier='malformed_lines', type='table'
    ) -%}
    {% do adapter.create_schema(malformed) %}
    {% do replace_with_empty_table(malformed, [
        ('source_table', dbt.type_string()), ('file_name', dbt.type_string()),
        ('line_number', dbt.type_bigint()), ('problem', dbt.type_string()),
        ('expected_fields', dbt.type_int()), ('found_fields', dbt.type_int()),
    ]) %}
    {% do register_api_exposures() %}
    {%- set problems = [] -%}
    {% do check_raw_contract(raw_contract_sources(), [], [], problems) %}
    {{ return('') }}
{% endmacro %}

{% macro replace_with_empty_table(relation, columns) %}
    {#- Drops what `relation` names (a table or a view) and creates it as an empty
        table of these (name, type) columns: portable where `create or replace
        table` is not (Spark's non-v2 tables). Not atomic: a reader in between
        finds no table. -#}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {%- if existing is not none -%}
        {% do adapter.drop_relation(existing) %}
    {%- endif -%}
    {%- set definitions = [] -%}
    {%- for name, type in columns -%}
        {%- do definitions.append(name ~ ' ' ~ type) -%}
    {%- endfor -%}
    {% do run_query('create table ' ~ relation ~ ' (' ~ definitions | join(', ') ~ ')') %}
{% endmacro %}

{% macro duckdb__register_raw_sources() %}
    {%- set raw_schema = var('raw_schema', none) -%}
    {#- Lines of raw CSV files that cannot be rows (wrong number of fields, not
        UTF-8): skipped by the views, listed here with their line number and read
        by audit_malformed_raw_lines. Never the line itself: it holds personal data. -#}
    {% do run_query('create schema if not exists raw_files') %}
    {% do run_query(
        'create or replace table raw_files.malformed_lines (source_table varchar, file_name varchar, '
        ~ 'line_number bigint, problem varchar, expected_fields integer, found_fields integer)'
    ) %}
    {%- set raw_sources = raw_contract_sources() -%}
    {% do register_api_exposures() %}
    {%- set problems = [] -%}
    {%- set header_checked = [] -%}
    {%- set header_failed = [] -%}
    {%- if raw_schema is none or raw_schema == '' -%}
        {%- set raw_dir = env_var('RAW_DATA_DIR', 'data/raw') -%}
        {%- set unreadable = [] -%}
        {%- for src in raw_sources -%}
            {%- set table = src.identifier -%}
            {#- Exactly <table>.csv, <table>.parquet or the parts <table>/*.parquet:
                no other name (crm_contacts.old.csv) is ever read, and two of them
                for one table is an error rather than a silent choice. -#}
            {%- set base = raw_dir ~ "/" ~ table -%}
            {%- set candidates = [
                {'label': table ~ '.csv', 'pattern': base ~ '.csv', 'format': 'csv'},
                {'label': table ~ '.parquet', 'pattern': base ~ '.parquet', 'format': 'parquet'},
                {'label': table ~ '/*.parquet', 'pattern': base ~ '/*.parquet', 'format': 'parquet'},
            ] -%}
            {%- set present = [] -%}
            {%- for candidate in candidates -%}
                {%- set found = run_query("select count(*) from glob(" ~ quote_literal(candidate.pattern) ~ ")") -%}
                {%- if found.rows[0][0] > 0 -%}
                    {%- do present.append(candidate) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if present | length == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table ~ "' not found: expected " ~ table ~ ".parquet, "
                    ~ table ~ ".csv or " ~ table ~ "/*.parquet in '" ~ raw_dir ~ "' (set RAW_DATA_DIR, or the var "
                    ~ "raw_schema to read a warehouse schema). See the raw contract in the README."
                ) }}
            {%- elif present | length > 1 -%}
                {{ exceptions.raise_compiler_error(
                    "Raw table '" ~ table ~ "' is ambiguous: found both "
                    ~ present | map(attribute='label') | join(' and ') ~ " in '" ~ raw_dir
                    ~ "'. Keep exactly one of them and move the other out of the folder."
                ) }}
            {%- endif -%}
            {%- set chosen = present[0] -%}
            {%- set inspected = {'error': none, 'malformed': []} -%}
            {%- set missing = [] -%}
            {%- if chosen.format == 'parquet' -%}
                {%- set reader = "read_parquet(" ~ quote_literal(chosen.pattern) ~ ")" -%}
            {%- else -%}
                {#- raw_csv_inspect (python_udfs/raw_csv.py) reads the header and finds
                    the malformed lines in Python, so no DuckDB error quoting a raw line
                    reaches the log; the view then reads with the same fixed options
                    and skips exactly those lines. -#}
                {%- set inspected = fromjson(
                    run_query("select raw_csv_inspect(" ~ quote_literal(chosen.pattern) ~ ")").rows[0][0]
                ) -%}
                {%- if inspected.error -%}
                    {%- do unreadable.append(
                        "raw file '" ~ chosen.label ~ "' (table '" ~ table ~ "') " ~ inspected.error
                    ) -%}
                {%- else -%}
                    {#- The contract's columns are checked against the header here, before
                        any SQL names them: a file without a header would otherwise put its
                        first row (an email) into the view's DDL, and so into dbt.log. -#}
                    {%- set header = inspected.columns | map('lower') | list -%}
                    {%- for column in src.columns.keys() -%}
                        {%- if column | lower not in header -%}
                            {%- do missing.append(column) -%}
                        {%- endif -%}
                    {%- endfor -%}
                    {%- do header_checked.append(table) -%}
                    {%- if missing | length > 0 -%}
                        {%- do header_failed.append(table) -%}
                    {%- endif -%}
                    {%- if missing | length > 0 and missing | length == src.columns | length -%}
                        {%- do problems.append(
                            "table '" ~ table ~ "': line 1 of " ~ chosen.label ~ " holds none of the required columns ("
                            ~ missing | join(', ') ~ "): is its header line missing?"
                        ) -%}
                    {%- else -%}
                        {%- for column in missing -%}
                            {%- do problems.append(
                                "table '" ~ table ~ "' is missing required column '" ~ column ~ "'"
                            ) -%}
                        {%- endfor -%}
                    {%- endif -%}
                    {%- set reader = "read_csv(" ~ quote_literal(chosen.pattern) ~ ", "
                        ~ inspected.read_options ~ ", ignore_errors = true)" -%}
                {%- endif -%}
                {%- if inspected.malformed | length > 0 and not inspected.error and missing | length == 0 -%}
                    {%- set rows = [] -%}
                    {%- for bad in inspected.malformed -%}
                        {%- do rows.append(
                            "(" ~ quote_literal(table) ~ ", " ~ quote_literal(chosen.label) ~ ", "
                            ~ (bad.line | int) ~ ", " ~ quote_literal(bad.problem) ~ ", "
                            ~ (bad.expected_fields | int) ~ ", "
                            ~ (bad.found_fields | int if bad.found_fields is not none else 'null') ~ ")"
                        ) -%}
                    {%- endfor -%}
                    {% do run_query('insert into raw_files.malformed_lines values ' ~ rows | join(', ')) %}
                    {%- set examples = [] -%}
                    {%- for bad in inspected.malformed[:5] -%}
                        {%- do examples.append(
                            "line " ~ bad.line ~ " (" ~ bad.problem
                            ~ (", " ~ bad.found_fields ~ " fields, expected " ~ bad.expected_fields
                               if bad.found_fields is not none else "") ~ ")"
                        ) -%}
                    {%- endfor -%}
                    {% do exceptions.warn(
                        "Raw file '" ~ chosen.label ~ "' (table '" ~ table ~ "'): "
                        ~ inspected.malformed | length ~ " malformed line(s) skipped: " ~ examples | join(', ')
                        ~ (' and more' if inspected.malformed | length > 5 else '')
                        ~ ". Each is listed in audit_malformed_raw_lines; fix the file or its loader "
                        ~ "(every line needs one field per header column, comma-separated, UTF-8) to keep those rows."
                    ) %}
                {%- endif -%}
            {%- endif -%}
            {%- if not (inspected.error or missing | length > 0) -%}
                {% do run_query('create or replace view raw_files.' ~ table ~ ' as select * from ' ~ reader) %}
            {%- endif -%}
        {%- endfor -%}
        {%- if unreadable | length > 0 -%}
            {{ exceptions.raise_compiler_error(
                "Cannot read the raw data: " ~ unreadable | join('; ')
                ~ ". Fix the file (or export it again from its loader) and run again."
            ) }}
        {%- endif -%}
    {%- endif -%}
    {% do check_raw_contract(raw_sources, header_checked, header_failed, problems) %}
    {{ return('') }}
{% endmacro %}

{% macro check_raw_contract(raw_sources, header_checked, header_failed, problems) %}
    {#- Every source table exists with every contract column, crm_contacts and
        orders hold a row; else the run stops naming each problem (appended to
        `problems`, which may already hold some). Portable SQL only. -#}
    {#- CSV tables whose header was checked above need only the row check; one
        whose header failed has no view to check. -#}
    {%- for src in raw_sources if src.identifier not in header_failed -%}
        {%- set relation = api.Relation.create(
            database=src.database, schema=src.schema, identifier=src.identifier
        ) -%}
        {%- if src.identifier in header_checked -%}
            {%- set actual = src.columns.keys() | map('lower') | list -%}
        {%- else -%}
            {%- set actual = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- endif -%}
        {%- if actual | length == 0 -%}
            {%- do problems.append("table '" ~ src.identifier ~ "' does not exist in " ~ src.schema) -%}
        {%- else -%}
            {%- for column in src.columns.keys() -%}
                {%- if column | lower not in actual -%}
                    {%- do problems.append(
                        "table '" ~ src.identifier ~ "' is missing required column '" ~ column ~ "'"
                    ) -%}
                {%- endif -%}
            {%- endfor -%}
            {#- The contract lets every table be empty except these two: without
                contacts or orders there is nobody to score or export. -#}
            {%- if src.identifier in ('crm_contacts', 'orders') -%}
                {%- set any_row = run_query('select 1 from ' ~ relation ~ ' limit 1') -%}
                {%- if any_row.rows | length == 0 -%}
                    {%- do problems.append(
                        "table '" ~ src.identifier ~ "' has no rows (only crm_contacts and orders must not be empty)"
                    ) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems | length > 0 -%}
        {{ exceptions.raise_compiler_error(
            "The raw data does not meet the raw contract: " ~ problems | join('; ')
        ) }}
    {%- endif -%}
{% endmacro %}
