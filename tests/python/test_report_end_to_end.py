"""The static report (make report, docs/report.md) rendered in a real browser, headless Chromium.

From the session's demo build, published as `make build` publishes it: every page of the report opens
without a JavaScript error, every chart draws data marks, a page whose mart is missing says so (and only
then), and the footer names the published build. The screenshots are kept as build artifacts
(data/report/screenshots, or REPORT_SCREENSHOT_DIR). A deliberately broken page must fail the same check.
"""

from __future__ import annotations

import os
import shutil

import altair as alt
import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_DIR
from publish_warehouse import publish

from reporting.browser import check_page, check_report, chromium
from reporting.report import ERROR_HOOK, Page, Section, build_report

pytestmark = pytest.mark.e2e

SCREENSHOT_DIR = os.environ.get("REPORT_SCREENSHOT_DIR", str(PROJECT_DIR / "data" / "report" / "screenshots"))
THEMES = {"index", "experiments", "programme", "campaigns", "segments", "cohorts", "models"}


@pytest.fixture(scope="module")
def browser():
    found = chromium()
    if found is None:
        pytest.fail("chromium is not installed: run `make setup-browser` (apt-get install -y chromium)")
    return found


@pytest.fixture(scope="module")
def report(built, tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    published = publish(built.db_path, root / "published.duckdb", built.work_dir / "target" / "run_results.json")
    pages = build_report(published, root / "report")
    return published, root / "report", pages


def test_every_page_renders_its_charts_without_a_javascript_error(report, browser, tmp_path):
    published, report_dir, pages = report
    assert {page.stem for page in pages} == THEMES
    assert (report_dir / "assets" / "vega-embed.js").stat().st_size > 100_000, "the Vega JavaScript is vendored"
    for page in pages:
        assert "://cdn" not in page.read_text()
        assert '<script src="http' not in page.read_text()
    checks = check_report(report_dir, tmp_path / "screenshots")
    problems = [problem for check in checks for problem in check.problems()]
    assert not problems, "\n".join(problems)

    by_page = {check.page: check for check in checks}
    # The marts that exist in this build are charted; a "not built yet" note names only marts that are absent.
    with duckdb.connect(str(published), read_only=True) as con:
        tables = {row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()}
        build_id = con.execute("select build_id from main.published_build").fetchone()[0]
    for check in checks:
        assert not set(check.missing_marts) & tables, f"{check.page} calls a built mart missing"
    assert by_page["experiments.html"].charts
    assert by_page["segments.html"].charts
    assert len(by_page["experiments.html"].charts) == 2
    for page in pages:
        assert build_id in page.read_text(), f"{page.name}'s footer names the published build"

    shots = tmp_path / "screenshots"
    assert {shot.stem for shot in shots.glob("*.png")} == THEMES
    keep = os.environ.get("REPORT_SCREENSHOT_DIR", SCREENSHOT_DIR)
    os.makedirs(keep, exist_ok=True)
    for shot in shots.glob("*.png"):
        assert shot.stat().st_size > 10_000, f"{shot.name} is blank"
        shutil.copy(shot, keep)


def test_a_broken_chart_and_an_empty_chart_fail_the_check(report, browser, tmp_path):
    published, _, _ = report

    def broken(_warehouse) -> Page:
        bad = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
        bad = bad.transform_filter("datum.x > no_such_parameter")  # a runtime error in Vega's expression parser
        empty = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_point().encode(x="x:Q").transform_filter("datum.x > 5")
        fine = alt.Chart(pd.DataFrame({"x": [1.0, 2.0]})).mark_point().encode(x="x:Q")
        return Page(
            "broken",
            "Broken",
            "",
            [Section("bad", "", chart=bad), Section("empty", "", chart=empty), Section("fine", "", chart=fine)],
        )

    pages = build_report(published, tmp_path / "broken", builders=[broken])
    check = check_page(next(page for page in pages if page.stem == "broken"))
    states = {chart.title: chart.status for chart in check.charts}
    assert states == {"bad": "error", "empty": "empty", "fine": "ok"}
    problems = check.problems()
    assert any("bad" in problem for problem in problems)
    assert any("empty" in problem for problem in problems)
    assert check.js_errors, "the broken spec's error reaches data-js-errors"


def test_a_page_with_a_script_error_fails_the_check(tmp_path, browser):
    page = tmp_path / "thrown.html"
    page.write_text(f"<html><head><script>{ERROR_HOOK}</script></head><body><script>undefinedFunction();</script>")
    check = check_page(page)
    assert any("undefinedFunction" in message for message in check.js_errors), check.js_errors
