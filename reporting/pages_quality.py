"""The data-quality page: where every raw row went, why rows were rejected, quarantined identifiers, unsafe URLs.

Reads the audit marts (schema audit in the published warehouse) and shows counts only. audit_rejected_rows
keeps each rejected raw row as JSON, and raw rows hold personal data (emails, names, addresses): this page
never selects raw_record, raw_key or identifier values, only table names, reasons and counts computed in SQL.
"""

from __future__ import annotations

import html

import altair as alt

from reporting.pages import WIDTH, all_or, dropdown, with_all
from reporting.report import Page, Section, Warehouse, not_built

ROW_FATES = ("accepted_rows", "rejected_rows", "duplicate_rows")


def quality_page(warehouse: Warehouse) -> Page:
    page = Page(
        "quality",
        "Data quality",
        "Where every raw row went (accepted, rejected, collapsed as a duplicate), why rows were rejected, "
        "which identifiers were quarantined and how many unsafe URLs were dropped: counts from the audit "
        "marts, never the rows themselves (they can hold personal data). No mart of this build holds source "
        "freshness (<code>make freshness</code> runs dbt source freshness), so this page does not show it.",
    )
    page.sections.append(row_counts(warehouse))
    page.sections.append(rejected_reasons(warehouse))
    page.sections.append(quarantined_identifiers(warehouse))
    page.sections.append(unsafe_urls(warehouse))
    return page


def conservation_table(warehouse: Warehouse) -> str:
    """An HTML table of audit_row_counts with its conservation check, one row per raw table."""
    checks = warehouse.frame(
        """
        select
            source_table, raw_rows, accepted_rows, rejected_rows, duplicate_rows, unaccounted_rows,
            malformed_lines,
            raw_rows = accepted_rows + rejected_rows + duplicate_rows as is_conserved
        from {counts}
        order by source_table
        """,
        counts="audit_row_counts",
    )
    head = (
        "<tr><th>Raw table</th><th>Raw rows</th><th>Accepted</th><th>Rejected</th><th>Duplicates</th>"
        "<th>Unaccounted</th><th>Malformed lines (not rows)</th><th>raw = accepted + rejected + duplicates</th></tr>"
    )
    rows = []
    for row in checks.itertuples(index=False):
        verdict = "holds" if row.is_conserved else f"FAILS by {row.unaccounted_rows:,}"
        cells = [
            html.escape(str(row.source_table)),
            *(f"{value:,}" for value in (row.raw_rows, row.accepted_rows, row.rejected_rows, row.duplicate_rows)),
            f"{row.unaccounted_rows:,}",
            f"{row.malformed_lines:,}",
            verdict,
        ]
        state = "ok" if row.is_conserved else "failed"
        rows.append(f'<tr data-conservation="{state}">' + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return f'<table class="conservation">{head}{"".join(rows)}</table>'


def row_counts(warehouse: Warehouse) -> Section:
    title = "Rows accounted for per raw table"
    text = (
        "Each raw table's rows by fate, stacked: accepted into staging, rejected (with a reason, below) or "
        "collapsed into another row with the same key. The tick marks the raw rows received; a bar that "
        "stops short of it leaves rows unaccounted for. audit_row_counts' own test holds the equation in "
        "the table."
    )
    if not warehouse.has("audit_row_counts"):
        return not_built(title, text, "audit_row_counts")
    # One row per table and fate, unpivoted in SQL; the raw rows travel on every row for the tick.
    fates = warehouse.frame(
        """
        select
            source_table,
            replace(fate, '_rows', '') as fate,
            rows,
            raw_rows,
            unaccounted_rows,
            placeholder_identifier_rows,
            invalid_email_rows
        from (
            unpivot {counts}
            on accepted_rows, rejected_rows, duplicate_rows
            into name fate value rows
        )
        order by source_table, fate
        """,
        counts="audit_row_counts",
    )
    tables = sorted(fates["source_table"].unique())
    table = with_all("rows_table", "Raw table", tables)
    base = alt.Chart(fates).transform_filter(all_or(table.name, "source_table"))
    y = alt.Y("source_table:N", title=None, sort=tables)
    bars = base.mark_bar().encode(
        y=y,
        x=alt.X("rows:Q", title="Rows", stack="zero"),
        color=alt.Color("fate:N", title="Fate", scale=alt.Scale(domain=["accepted", "rejected", "duplicate"])),
        order=alt.Order("fate:N"),
        tooltip=[
            "source_table:N",
            "fate:N",
            alt.Tooltip("rows:Q", format=","),
            alt.Tooltip("raw_rows:Q", format=","),
            alt.Tooltip("unaccounted_rows:Q", format=","),
            alt.Tooltip("placeholder_identifier_rows:Q", format=","),
            alt.Tooltip("invalid_email_rows:Q", format=","),
        ],
    )
    raw = (
        base.transform_filter("datum.fate === 'accepted'")
        .mark_tick(color="#222", thickness=2, size=22)
        .encode(y=y, x="raw_rows:Q", tooltip=["source_table:N", alt.Tooltip("raw_rows:Q", format=",")])
    )
    chart = (
        alt.layer(bars, raw)
        .add_params(table)
        .properties(width=WIDTH, height=alt.Step(26), title="Raw rows and where they went")
    )
    return Section(
        title, text + "</p>" + conservation_table(warehouse) + "<p>", chart=chart, sources=["audit_row_counts"]
    )


def rejected_reasons(warehouse: Warehouse) -> Section:
    title = "Rejected rows by table and reason"
    text = (
        "How many raw rows were rejected, and why; counted in audit_rejected_rows, whose raw_record is never "
        "read here. The table filter's All is every table's rows of a reason, counted in the query."
    )
    if not warehouse.has("audit_rejected_rows"):
        return not_built(title, text, "audit_rejected_rows")
    # Only table, reason and a count leave the warehouse: raw_record and raw_key can hold personal data.
    reasons = warehouse.frame(
        """
        select
            coalesce(source_table, 'All') as source_table,
            rejection_reason,
            count(*) as rejected_rows
        from {rejected}
        group by grouping sets ((source_table, rejection_reason), (rejection_reason))
        order by source_table, rejected_rows desc, rejection_reason
        """,
        rejected="audit_rejected_rows",
    )
    if reasons.empty:
        return Section(title, text, note="No raw row was rejected in this build.", sources=["audit_rejected_rows"])
    tables = sorted(t for t in reasons["source_table"].unique() if t != "All")
    table = dropdown("rejected_table", "Raw table", ["All", *tables], value="All")
    chart = (
        alt.Chart(reasons)
        .transform_filter(f"datum.source_table === {table.name}")
        .mark_bar()
        .encode(
            y=alt.Y("rejection_reason:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320)),
            x=alt.X("rejected_rows:Q", title="Rejected rows"),
            tooltip=["source_table:N", "rejection_reason:N", alt.Tooltip("rejected_rows:Q", format=",")],
        )
        .add_params(table)
        .properties(width=WIDTH - 200, height=alt.Step(22), title="Rejected rows by reason")
    )
    return Section(title, text, chart=chart, sources=["audit_rejected_rows"])


def quarantined_identifiers(warehouse: Warehouse) -> Section:
    title = "Quarantined identifiers"
    text = (
        "Identifiers seen with more people than the var identity_max_people_per_identifier allows, by type "
        "and reason: how many, and how many accepted rows carry them or were left attributed to nobody. "
        "Counts only; the identifiers themselves stay in audit_quarantined_identifiers."
    )
    if not warehouse.has("audit_quarantined_identifiers"):
        return not_built(title, text, "audit_quarantined_identifiers")
    quarantined = warehouse.frame(
        """
        select
            identifier_type,
            reason,
            is_quarantined,
            count(*) as identifiers,
            sum(rows_affected) as rows_affected,
            sum(rows_unattributed) as rows_unattributed
        from {quarantined}
        group by identifier_type, reason, is_quarantined
        order by identifier_type, reason
        """,
        quarantined="audit_quarantined_identifiers",
    )
    if quarantined.empty:
        return Section(
            title,
            text,
            note="No identifier was shared by too many people in this build: none is quarantined.",
            sources=["audit_quarantined_identifiers"],
        )
    types = sorted(quarantined["identifier_type"].unique())
    kind = with_all("quarantine_type", "Identifier type", types)
    chart = (
        alt.Chart(quarantined)
        .transform_filter(all_or(kind.name, "identifier_type"))
        .mark_bar()
        .encode(
            y=alt.Y("reason:N", title=None, axis=alt.Axis(labelLimit=320)),
            x=alt.X("identifiers:Q", title="Identifiers"),
            color=alt.Color("is_quarantined:N", title="Quarantined"),
            tooltip=[
                "identifier_type:N",
                "reason:N",
                "is_quarantined:N",
                alt.Tooltip("identifiers:Q", format=","),
                alt.Tooltip("rows_affected:Q", format=","),
                alt.Tooltip("rows_unattributed:Q", format=","),
            ],
        )
        .add_params(kind)
        .properties(width=WIDTH - 200, height=alt.Step(26), title="Listed identifiers by reason")
    )
    return Section(title, text, chart=chart, sources=["audit_quarantined_identifiers"])


def unsafe_urls(warehouse: Warehouse) -> Section:
    title = "Unsafe URLs dropped"
    text = (
        "URL fields that held something other than an absolute http(s) URL (javascript:, data:, relative "
        "paths) and were set to null before reaching an email, per raw table and column. The values are "
        "not kept."
    )
    if not warehouse.has("audit_unsafe_urls"):
        return not_built(title, text, "audit_unsafe_urls")
    urls = warehouse.frame(
        """
        select
            source_table,
            source_column,
            source_table || '.' || source_column as field,
            unsafe_urls,
            sum(unsafe_urls) over () as unsafe_urls_total,
            max(unsafe_urls) over () as unsafe_urls_max
        from {urls}
        order by source_table, source_column
        """,
        urls="audit_unsafe_urls",
    )
    if urls.empty:
        return Section(title, text, note="This build has no URL columns to check.", sources=["audit_unsafe_urls"])
    total = int(urls["unsafe_urls_total"].iloc[0])
    # An axis from 0 to the largest count (at least 1, so a build with none still has an axis).
    axis_max = max(int(urls["unsafe_urls_max"].iloc[0]), 1)
    text += f" {total:,} in this build."
    table = with_all("urls_table", "Raw table", sorted(urls["source_table"].unique()))
    base = (
        alt.Chart(urls)
        .transform_filter(all_or(table.name, "source_table"))
        .encode(
            y=alt.Y("field:N", title=None),
            x=alt.X("unsafe_urls:Q", title="Unsafe URLs dropped", scale=alt.Scale(domain=[0, axis_max])),
            tooltip=["source_table:N", "source_column:N", alt.Tooltip("unsafe_urls:Q", format=",")],
        )
    )
    # The count beside each bar: a column with none dropped still reads "0" rather than an empty row.
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("unsafe_urls:Q", format=","))
    chart = (
        alt.layer(base.mark_bar(), labels)
        .add_params(table)
        .properties(width=WIDTH - 200, height=alt.Step(26), title="Unsafe URLs by raw column")
    )
    return Section(title, text, chart=chart, sources=["audit_unsafe_urls"])
