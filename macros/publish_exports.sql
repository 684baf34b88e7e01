{% macro publish_exports(results) %}
    {#- on-run-end hook: the "publish" of write, audit, publish.

        Every export model is built aside in schema exports_pending (dbt_project.yml)
        and tested there. When the invocation is a `dbt build` in which no node
        errored, failed or was skipped (warn is not a failure), this replaces, in
        one transaction, each relation of schema exports with the exports_pending
        one this run built (a run that selects a few exports publishes those),
        copies the table and column descriptions, and then, with var
        export_format csv or parquet, rewrites their files in EXPORT_DIR (each
        file written beside its target and renamed over it). Any failure, or a
        `dbt run` or `dbt retry` (no tests audited the whole set), or a build
        with --empty or --sample (part of the data), publishes nothing: schema
        exports and the files stay exactly as the last passing build left them.
        The publish itself is engine-specific (publish_built_exports): DuckDB's is
        one transaction of renames (schema exports holds views of the renamed
        tables) and writes the files; other engines copy table by table. -#}
    {%- if not execute or results is none -%}
        {{ return('select 1') }}
    {%- endif -%}
    {#- only a build, run or retry can build exports; a seed, test or source freshness has nothing to say -#}
    {%- if flags.WHICH not in ['build', 'run', 'retry'] -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set pending_schema = 'exports_pending' -%}
    {%- set published_schema = 'exports' -%}
    {%- set passing = ['success', 'pass', 'warn', 'no-op'] -%}

    {%- set failed = [] -%}
    {%- set built = [] -%}
    {%- for result in results -%}
        {%- set status = result.status | string | lower -%}
        {%- set status = status.split('.')[-1] if status.startswith('runstatus.') or status.startswith('teststatus.') else status -%}
        {%- if status not in passing -%}
            {%- do failed.append(result.node.name ~ ' (' ~ status ~ ')') -%}
        {%- elif result.node.resource_type == 'model' and result.node.schema == pending_schema -%}
            {%- do built.append(result.node) -%}
        {%- endif -%}
    {%- endfor -%}

    {%- if failed -%}
        {%- do log("Exports NOT published: " ~ failed | length ~ " node(s) did not pass (" ~ failed[:5] | join(', ')
            ~ (', ...' if failed | length > 5 else '') ~ "). Schema " ~ published_schema
            ~ " and the export files keep the last passing build; " ~ pending_schema ~ " holds this run's attempt.", info=true) -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- if not built -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set reduced = [] -%}
    {%- for flag in ['EMPTY', 'SAMPLE'] -%}
        {%- if flags[flag] is defined and flags[flag] -%}
            {%- do reduced.append('--' ~ flag | lower) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if reduced -%}
        {%- do log("Exports NOT published: a build with " ~ reduced | join(' ') ~ " holds only part of the data. "
            ~ built | length ~ " export(s) were built in " ~ pending_schema ~ " only.", info=true) -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- if flags.WHICH != 'build' -%}
        {%- do log("Exports NOT published: `dbt " ~ flags.WHICH ~ "` runs no tests on them; `dbt build` builds, tests and publishes. "
            ~ built | length ~ " export(s) were built in " ~ pending_schema ~ " only.", info=true) -%}
        {{ return('select 1') }}
    {%- endif -%}

    {#- Check the file settings before anything is published, so a bad value publishes nothing. -#}
    {%- set export_format = var('export_format', 'none') -%}
    {%- if export_format not in ('none', 'csv', 'parquet') -%}
        {{ exceptions.raise_compiler_error("var export_format must be none, csv or parquet, not " ~ export_format) }}
    {%- endif -%}
    {{ return(adapter.dispatch('publish_built_exports')(built, pending_schema, published_schema, export_format)) }}
{% endmacro %}

{% macro default__publish_built_exports(built, pending_schema, published_schema, export_format) %}
    {#- Engines other than DuckDB: each exports_pending table this build made
        replaces its exports table (dropped, then created as a copy), one after
        the other: not one transaction, so a reader during the publish may see
        some exports of this build beside some of the last. Descriptions stay on
        exports_pending (dbt's persist_docs) and are not copied; files are
        DuckDB's (COPY TO). -#}
    {%- if export_format != 'none' -%}
        {%- do log("Export files NOT written: export_format " ~ export_format ~ " (COPY TO EXPORT_DIR) is DuckDB's; on "
            ~ target.type ~ " read the exports from schema " ~ published_schema ~ ".", info=true) -%}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for node in built -%}
        {%- set name = node.alias or node.name -%}
        {%- set pending = api.Relation.create(
            database=node.database, schema=pending_schema, identifier=name, type='table'
        ) -%}
        {%- set published = api.Relation.create(
            database=node.database, schema=published_schema, identifier=name, type='table'
        ) -%}
        {%- if loop.first -%}
            {% do adapter.create_schema(published) %}
        {%- endif -%}
        {%- set existing = adapter.get_relation(
            database=published.database, schema=published.schema, identifier=published.identifier
        ) -%}
        {%- if existing is not none -%}
            {% do adapter.drop_relation(existing) %}
        {%- endif -%}
        {% do run_query('create table ' ~ published ~ ' as select * from ' ~ pending) %}
        {%- do names.append(name) -%}
    {%- endfor -%}
    {%- do log("Exports published to schema " ~ published_schema ~ ": " ~ names | join(', ')
        ~ " (on " ~ target.type ~ " one table after another, not one transaction)", info=true) -%}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__publish_built_exports(built, pending_schema, published_schema, export_format) %}
    {#- DuckDB: in one transaction, each exports_pending table this build made
        is renamed to <name>__published (the one published before is dropped)
        and exports.<name> becomes a view of it, with the table's and columns'
        descriptions. A rename is a change of the catalogue, not a copy: copying
        the eleven exports took about 5.5 s of every build at 1,000,000 contacts
        (issue 15). exports_pending.<name> is then a view of the same table until
        the next build makes the table again (a build that selects some exports
        runs tests that read the others there); what a failed build made stays
        there, beside what schema exports shows. With var export_format, the
        files are written from schema exports after the commit. -#}
    {%- set folder = none -%}
    {%- if export_format != 'none' -%}
        {%- set folder = run_query("select ensure_directory(" ~ quote_literal(env_var('EXPORT_DIR', 'data/exports')) ~ ")").rows[0][0] -%}
    {%- endif -%}

    {%- set names = [] -%}
    {%- for node in built -%}
        {%- do names.append(node.alias or node.name) -%}
    {%- endfor -%}
    {%- set name_list = [] -%}
    {%- for name in names -%}
        {%- do name_list.append(quote_literal(name)) -%}
    {%- endfor -%}
    {%- set table_comments = run_query(
        "select table_name, comment from duckdb_tables() where schema_name = " ~ quote_literal(pending_schema)
        ~ " and table_name in (" ~ name_list | join(', ') ~ ") and comment is not null") -%}
    {%- set column_comments = run_query(
        "select table_name, column_name, comment from duckdb_columns() where schema_name = " ~ quote_literal(pending_schema)
        ~ " and table_name in (" ~ name_list | join(', ') ~ ") and comment is not null") -%}
    {%- set column_types = run_query(
        "select table_name, column_name, data_type from duckdb_columns() where schema_name = " ~ quote_literal(pending_schema)
        ~ " and table_name in (" ~ name_list | join(', ') ~ ") order by table_name, column_index") -%}
    {#- a warehouse published by an earlier version holds tables in schema exports: dropped as tables -#}
    {%- set published_tables = run_query(
        "select table_name from duckdb_tables() where schema_name = " ~ quote_literal(published_schema)
        ~ " and table_name in (" ~ name_list | join(', ') ~ ")").columns[0].values() -%}

    {%- set statements = ['begin transaction', 'create schema if not exists ' ~ adapter.quote(published_schema)] -%}
    {%- for name in names -%}
        {%- set published = adapter.quote(name ~ '__published') -%}
        {%- set view = adapter.quote(published_schema) ~ '.' ~ adapter.quote(name) -%}
        {%- do statements.append('drop table if exists ' ~ adapter.quote(pending_schema) ~ '.' ~ published) -%}
        {%- do statements.append('alter table ' ~ adapter.quote(pending_schema) ~ '.' ~ adapter.quote(name)
            ~ ' rename to ' ~ published) -%}
        {%- if name in published_tables -%}
            {%- do statements.append('drop table ' ~ view) -%}
        {%- endif -%}
        {%- do statements.append('create or replace view ' ~ view ~ ' as select * from '
            ~ adapter.quote(pending_schema) ~ '.' ~ published) -%}
        {#- and exports_pending.<name> too, until a build makes the table again: a later build that
            selects some exports runs tests that read the others there (dbt replaces a view by its table) -#}
        {%- do statements.append('create view ' ~ adapter.quote(pending_schema) ~ '.' ~ adapter.quote(name)
            ~ ' as select * from ' ~ adapter.quote(pending_schema) ~ '.' ~ published) -%}
    {%- endfor -%}
    {%- for row in table_comments.rows -%}
        {%- do statements.append('comment on view ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(row[0])
            ~ ' is ' ~ quote_literal(row[1])) -%}
    {%- endfor -%}
    {%- for row in column_comments.rows -%}
        {%- do statements.append('comment on column ' ~ adapter.quote(published_schema) ~ '.' ~ adapter.quote(row[0])
            ~ '.' ~ adapter.quote(row[1]) ~ ' is ' ~ quote_literal(row[2])) -%}
    {%- endfor -%}
    {%- do statements.append('commit') -%}
    {%- if folder is not none -%}
        {%- for node in built -%}
            {%- set name = node.alias or node.name -%}
            {%- set published = api.Relation.create(database=node.database, schema=published_schema, identifier=name) -%}
            {%- set columns = [] -%}
            {%- for row in column_types.rows if row[0] == name -%}
                {%- do columns.append([row[1], row[2]]) -%}
            {%- endfor -%}
            {%- do statements.append(export_to_file(published, folder, export_format, columns)) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do log("Exports published to schema " ~ published_schema ~ ": " ~ names | join(', ')
        ~ ((" and written to " ~ folder) if folder is not none else ''), info=true) -%}
    {{ return(statements | join(';\n') ~ ';') }}
{% endmacro %}
