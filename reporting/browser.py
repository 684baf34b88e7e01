"""Open a report page in headless Chromium and read back what happened to every chart.

    python -m reporting.browser data/report            # check every page, screenshots to data/report/screenshots

Uses Debian's `chromium` (`make setup-browser` installs it) with --dump-dom: after the page's scripts ran
(a virtual-time budget lets vega-embed finish without waiting in real time), the DOM carries what the page
recorded (reporting.report): each chart's data-status and data-marks, and the html element's data-js-errors
and data-rendered. A second run takes the screenshot. No driver library: two command lines per page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # Scripts run in virtual time, so a page that has settled is dumped at once; the budget bounds it.
    "--virtual-time-budget=30000",
)


def chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@dataclass
class Chart:
    chart_id: str
    title: str
    status: str | None
    marks: int
    error: str | None


@dataclass
class PageCheck:
    page: str
    rendered: bool
    js_errors: list[str]
    charts: list[Chart] = field(default_factory=list)
    missing_marts: list[str] = field(default_factory=list)
    screenshot: Path | None = None

    def problems(self) -> list[str]:
        """Why the page fails: a JavaScript error, a chart that did not render or drew nothing, or a hang."""
        found = [f"{self.page}: JavaScript error: {message}" for message in self.js_errors]
        if not self.rendered:
            found.append(f"{self.page}: the charts never all settled (data-rendered missing)")
        for chart in self.charts:
            if chart.status != "ok" or chart.marks <= 0:
                found.append(
                    f"{self.page}: chart {chart.chart_id} ({chart.title}) is {chart.status!r} with "
                    f"{chart.marks} marks{': ' + chart.error if chart.error else ''}"
                )
        return found


class _DomReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.html_attrs: dict[str, str] = {}
        self.charts: list[Chart] = []
        self.missing: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {key: value or "" for key, value in attrs}
        classes = attributes.get("class", "").split()
        if tag == "html":
            self.html_attrs = attributes
        elif tag == "div" and "chart" in classes:
            marks = attributes.get("data-marks", "0")
            self.charts.append(
                Chart(
                    chart_id=attributes.get("id", "?"),
                    title=attributes.get("data-title", ""),
                    status=attributes.get("data-status"),
                    marks=int(marks) if marks.isdigit() else 0,
                    error=attributes.get("data-error"),
                )
            )
        elif "note" in classes and attributes.get("data-missing"):
            self.missing.extend(attributes["data-missing"].split())


def read_dom(page: str, dom: str) -> PageCheck:
    reader = _DomReader()
    reader.feed(dom)
    try:
        errors = json.loads(reader.html_attrs.get("data-js-errors", "[]") or "[]")
    except ValueError:
        errors = [reader.html_attrs.get("data-js-errors", "")]
    if "data-js-errors" not in reader.html_attrs:
        errors.append("the page's error hook never ran (no data-js-errors on <html>)")
    return PageCheck(
        page=page,
        rendered=reader.html_attrs.get("data-rendered") == "true",
        js_errors=errors,
        charts=reader.charts,
        missing_marts=reader.missing,
    )


def check_page(path: Path, screenshot: Path | None = None, browser: str | None = None, timeout: int = 60) -> PageCheck:
    """Render path in headless Chromium: its recorded chart states, and a full-width screenshot if asked."""
    browser = browser or chromium()
    if browser is None:
        raise RuntimeError("chromium is not installed: `make setup-browser` (apt-get install -y chromium)")
    url = path.resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        dom = subprocess.run(
            [browser, *FLAGS, f"--user-data-dir={profile}/dom", "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = read_dom(path.name, dom.stdout)
        if dom.returncode != 0 or not dom.stdout.strip():
            result.js_errors.append(f"chromium exited {dom.returncode}: {dom.stderr[-500:]}")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run(
                [
                    browser,
                    *FLAGS,
                    f"--user-data-dir={profile}/shot",
                    "--window-size=1280,2200",
                    f"--screenshot={screenshot}",
                    url,
                ],
                capture_output=True,
                timeout=timeout,
                check=False,
            )
            result.screenshot = screenshot if screenshot.exists() else None
    return result


def check_report(report_dir: Path, screenshot_dir: Path | None = None, workers: int = 2) -> list[PageCheck]:
    """Every page of the report, two browsers at a time."""
    pages = sorted(Path(report_dir).glob("*.html"))

    def one(page: Path) -> PageCheck:
        shot = screenshot_dir / f"{page.stem}.png" if screenshot_dir else None
        return check_page(page, shot)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, pages))


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    report_dir = Path(args[0] if args else "data/report")
    checks = check_report(report_dir, report_dir / "screenshots")
    problems = [problem for check in checks for problem in check.problems()]
    for check in checks:
        states = ", ".join(f"{c.chart_id}={c.status}/{c.marks}" for c in check.charts) or "no charts"
        missing = f"; not built yet: {', '.join(check.missing_marts)}" if check.missing_marts else ""
        print(f"{check.page}: {states}{missing}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
