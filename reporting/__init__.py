"""The static HTML report (`make report`, docs/report.md).

Reads the published warehouse (DUCKDB_PUBLISHED_PATH) read-only, turns mart rows into Vega-Lite specs with
Vega-Altair and writes one page per theme plus an index to data/report/, with the Vega JavaScript vendored
beside the pages: the report opens from disk, with no server and no network. Every number it shows is a
mart's (a query over the mart, never recomputed here); a page whose mart is not in the build says so.
"""

from reporting.report import build_report

__all__ = ["build_report"]
