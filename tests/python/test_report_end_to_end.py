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
from reporting.pages import models_page
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
    published, report_dir, _ = report
    shutil.copytree(report_dir / "assets", tmp_path / "broken" / "assets")  # the same bundle: not made again

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


def test_model_curves_render_once_a_scoring_run_has_matured(report, browser, tmp_path):
    """On one build no scoring run has matured, so the models page shows notes; a later build's rows draw.

    The session build's published copy gets one matured propensity run as a later build would write it
    (the mart's own columns; the numbers are made up here, this checks the drawing, not the model).
    """
    published, report_dir, _ = report
    shutil.copytree(report_dir / "assets", tmp_path / "report" / "assets")
    later = tmp_path / "later.duckdb"
    shutil.copy(published, later)
    with duckdb.connect(str(later)) as con:
        con.execute(
            """
            insert into rpt_model_monitoring
            select * replace (
                scored_at - interval 30 days as scored_at, true as is_label_matured, 0.81 as auc,
                0.86 as training_auc, 1000 as evaluated_customers, 0.04 as max_feature_psi
            )
            from rpt_model_monitoring where model_name = 'propensity'
            """
        )
        con.execute(
            """
            insert into rpt_model_calibration by name
            select
                'propensity' as model_name, scored_at, decile, model_version, scored_as_of_at,
                100 as customers, decile / 20 as mean_predicted, decile / 21 as mean_observed,
                decile / 21 - decile / 20 as calibration_gap, decile / 20 - 0.02 as min_predicted,
                decile / 20 + 0.02 as max_predicted, decile / 55 as share_of_observed
            from rpt_model_monitoring, range(1, 11) as deciles(decile)
            where model_name = 'propensity' and is_label_matured
            """
        )
    pages = build_report(later, tmp_path / "report", builders=[models_page])
    check = check_page(next(page for page in pages if page.stem == "models"))
    assert not check.problems(), check.problems()
    titles = [chart.title for chart in check.charts]
    assert "Gains and calibration on the latest matured run" in titles
    assert "AUC in production against AUC at training" in titles
