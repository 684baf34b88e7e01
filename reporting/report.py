"""Render the report's pages: the warehouse reader, the page model and the HTML around the Vega-Lite specs.

Each chart is a Vega-Lite spec (built with Altair in reporting.pages) embedded with vega-embed. The page
records what happened to every chart on its own element, so a browser test (or a reader) can see it:
data-status is "ok", "empty" (rendered, but no data marks) or "error", and data-marks counts the data marks
drawn. Uncaught JavaScript errors, rejected promises and console.error calls are collected in the html
element's data-js-errors (a JSON list). When every chart has settled, the html element gets
data-rendered="true".
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import duckdb
import pandas as pd
import vl_convert
from altair.utils._importers import vl_version_for_vl_convert

VENDOR_SCRIPT = "assets/vega-embed.js"


class Warehouse:
    """The published warehouse, opened read-only: the report never locks the build's file."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        if not self.path.exists():
            raise SystemExit(f"no published warehouse at {self.path}: run `make build` (it publishes) first")
        self.con = duckdb.connect(str(self.path), read_only=True)
        rows = self.con.execute(
            "select table_schema, table_name from information_schema.tables order by table_schema = 'main' desc"
        ).fetchall()
        self._relations: dict[str, str] = {}
        for schema, name in rows:
            self._relations.setdefault(name, f'"{schema}"."{name}"')
        self.used: list[str] = []

    def close(self) -> None:
        self.con.close()

    def has(self, table: str) -> bool:
        return table in self._relations

    def relation(self, table: str) -> str:
        """The quoted schema.table of a model, whatever schema it was built in (main first)."""
        if table not in self.used:
            self.used.append(table)
        return self._relations[table]

    def columns(self, table: str) -> list[str]:
        schema, name = (part.strip('"') for part in self._relations[table].split(".", 1))
        return [
            row[0]
            for row in self.con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?"
                " order by ordinal_position",
                [schema, name],
            ).fetchall()
        ]

    def frame(self, sql: str, **tables: str) -> pd.DataFrame:
        """Run sql with {name} placeholders replaced by the relations of the named models."""
        return self.con.execute(sql.format(**{key: self.relation(value) for key, value in tables.items()})).df()

    def build_identity(self) -> dict:
        """main.published_build's row (written by scripts/publish_warehouse.py), or a note that there is none."""
        if not self.has("published_build"):
            return {"build_id": f"unpublished file {self.path.name}", "built_at": None, "published_at": None}
        row = self.con.execute("select build_id, built_at, published_at from main.published_build limit 1").fetchone()
        return {"build_id": row[0], "built_at": row[1], "published_at": row[2]}


@dataclass
class Section:
    """One block of a page: a heading, a sentence, and a chart, or a note instead of the chart."""

    title: str
    text: str
    chart: alt.TopLevelMixin | None = None
    note: str | None = None
    missing: Sequence[str] = ()  # the marts whose absence the note reports
    sources: Sequence[str] = ()  # the marts the chart's numbers come from


@dataclass
class Page:
    slug: str
    title: str
    summary: str
    sections: list[Section] = field(default_factory=list)


PageBuilder = Callable[[Warehouse], Page]


def not_built(title: str, text: str, *marts: str) -> Section:
    names = ", ".join(marts)
    return Section(
        title,
        text,
        note=f"Not built yet: this chart reads {names}, which is not in this build. "
        "It appears here once the mart is built and published.",
        missing=marts,
    )


STYLE = """
body { font-family: system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #1f3b57; color: #fff; padding: 0.8rem 1.5rem; }
header a { color: #cfe3ff; margin-right: 1rem; text-decoration: none; }
header a.current { color: #fff; font-weight: 600; text-decoration: underline; }
main { padding: 0 1.5rem 1rem; max-width: 1200px; }
section { background: #fff; border: 1px solid #e3e3e3; border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem 1rem; }
.note { background: #fff6dd; border-left: 4px solid #e0a800; padding: 0.6rem 0.8rem; }
.sources { color: #666; font-size: 0.85rem; }
footer { color: #555; font-size: 0.85rem; padding: 1rem 1.5rem; border-top: 1px solid #ddd; }
table { border-collapse: collapse; }
td, th { padding: 0.25rem 0.75rem; border-bottom: 1px solid #eee; text-align: left; }
"""

# Runs before anything else on the page: every uncaught error, rejected promise and console.error lands in
# the html element's data-js-errors, where a headless browser's --dump-dom shows it.
ERROR_HOOK = """
(function () {
  var errors = [];
  function record(message) {
    errors.push(String(message));
    document.documentElement.setAttribute('data-js-errors', JSON.stringify(errors));
  }
  window.addEventListener('error', function (e) { record(e.message || e.type); });
  window.addEventListener('unhandledrejection', function (e) { record('unhandled rejection: ' + e.reason); });
  var consoleError = console.error;
  console.error = function () {
    record(Array.prototype.join.call(arguments, ' '));
    consoleError.apply(console, arguments);
  };
  window.__reportRecordError = record;
})();
"""

EMBED = """
(function () {
  function countMarks(node) {
    if (!node) { return 0; }
    if (node.marktype !== 'group') { return node.role === 'mark' ? (node.items || []).length : 0; }
    var n = 0;
    (node.items || []).forEach(function (group) {
      (group.items || []).forEach(function (child) { n += countMarks(child); });
    });
    return n;
  }
  var specs = JSON.parse(document.getElementById('report-specs').textContent);
  var pending = Object.keys(specs).map(function (id) {
    var el = document.getElementById(id);
    el.setAttribute('data-status', 'pending');
    return vegaEmbed(el, specs[id], {actions: false, renderer: 'svg'}).then(function (result) {
      var marks = countMarks(result.view.scenegraph().root);
      el.setAttribute('data-marks', String(marks));
      el.setAttribute('data-status', marks > 0 ? 'ok' : 'empty');
    }).catch(function (err) {
      el.setAttribute('data-status', 'error');
      el.setAttribute('data-error', String(err));
      window.__reportRecordError('chart ' + id + ': ' + err);
    });
  });
  Promise.all(pending).then(function () { document.documentElement.setAttribute('data-rendered', 'true'); });
})();
"""


def render_page(page: Page, pages: Sequence[Page], identity: dict, warehouse_name: str) -> str:
    specs: dict[str, dict] = {}
    body: list[str] = []
    for number, section in enumerate(page.sections, start=1):
        parts = [f"<h2>{html.escape(section.title)}</h2>", f"<p>{section.text}</p>"]
        if section.chart is not None:
            chart_id = f"chart-{number}"
            specs[chart_id] = section.chart.to_dict()
            parts.append(f'<div class="chart" id="{chart_id}" data-title="{html.escape(section.title)}"></div>')
        if section.note:
            missing = html.escape(" ".join(section.missing))
            parts.append(f'<p class="note" data-missing="{missing}">{html.escape(section.note)}</p>')
        if section.sources:
            parts.append(f'<p class="sources">From: {html.escape(", ".join(section.sources))}</p>')
        body.append("<section>" + "".join(parts) + "</section>")
    nav = "".join(
        f'<a href="{p.slug}.html"{" class=current" if p.slug == page.slug else ""}>{html.escape(p.title)}</a>'
        for p in pages
    )
    footer = (
        f"Build <code>{html.escape(str(identity['build_id']))}</code>"
        f", built at {html.escape(str(identity['built_at']))}"
        f", published at {html.escape(str(identity['published_at']))}"
        f", read from <code>{html.escape(warehouse_name)}</code>. Every number on this page is a mart's."
    )
    # JSON inside <script type="application/json">: only "</" could end the element early.
    specs_json = json.dumps(specs, default=str).replace("</", "<\\/")
    return f"""<!DOCTYPE html>
<html lang="en" data-js-errors="[]">
<head>
<meta charset="utf-8">
<title>{html.escape(page.title)}: email personalisation report</title>
<style>{STYLE}</style>
<script>{ERROR_HOOK}</script>
<script src="{VENDOR_SCRIPT}"></script>
</head>
<body>
<header><strong>Email personalisation report</strong> &nbsp; {nav}</header>
<main>
<h1>{html.escape(page.title)}</h1>
<p>{page.summary}</p>
{"".join(body)}
</main>
<footer data-build-id="{html.escape(str(identity["build_id"]))}">{footer}</footer>
<script type="application/json" id="report-specs">{specs_json}</script>
<script>{EMBED}</script>
</body>
</html>
"""


def vendor_javascript(out_dir: Path) -> Path:
    """vega, vega-lite and vega-embed in one file beside the pages (from vl-convert's bundle): no CDN."""
    path = out_dir / VENDOR_SCRIPT
    path.parent.mkdir(parents=True, exist_ok=True)
    vl_version = vl_version_for_vl_convert()
    # Bundling takes seconds: a bundle of the same versions already beside the pages is kept.
    header = f"// vega-embed bundle for Vega-Lite {vl_version}, vl-convert-python {vl_convert.__version__}\n"
    try:
        with path.open(encoding="utf-8") as existing:
            if existing.readline() == header:
                return path
    except OSError:
        pass
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(header + vl_convert.javascript_bundle(vl_version=vl_version), encoding="utf-8")
    partial.replace(path)
    return path


def build_report(
    warehouse_path: Path | str, out_dir: Path | str, builders: Sequence[PageBuilder] | None = None
) -> list[Path]:
    """Write index.html and one page per theme to out_dir; returns the pages' paths (index first)."""
    from reporting.pages import PAGE_BUILDERS, index_page

    # The data travels inside the page (no server to fetch it from); the marts are aggregates, not event logs.
    alt.data_transformers.disable_max_rows()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    warehouse = Warehouse(warehouse_path)
    try:
        identity = warehouse.build_identity()
        theme_pages = [builder(warehouse) for builder in (builders or PAGE_BUILDERS)]
        pages = [index_page(warehouse, theme_pages), *theme_pages]
    finally:
        warehouse.close()
    vendor_javascript(out)
    written = []
    for page in pages:
        path = out / f"{page.slug}.html"
        path.write_text(render_page(page, pages, identity, warehouse.path.name), encoding="utf-8")
        written.append(path)
    return written
