"""The static report (make report, docs/report.md) rendered in a real browser, headless Chromium.

From the session's demo build, published as `make build` publishes it: every page of the report opens
without a JavaScript error, every chart draws data marks, a page whose mart is missing says so (and only
then), and the footer names the published build. The screenshots are kept as build artifacts
(data/report/screenshots, or REPORT_SCREENSHOT_DIR). A deliberately broken page must fail the same check.
"""

from __future__ import annotations

import os
import re
import shutil

import altair as alt
import duckdb
import pandas as pd
import pytest
from conftest import PROJECT_DIR
from publish_warehouse import publish

from reporting.browser import check_page, check_report, chromium
from reporting.pages import models_page, quality_page
from reporting.report import ERROR_HOOK, Page, Section, build_report

pytestmark = pytest.mark.e2e

SCREENSHOT_DIR = os.environ.get("REPORT_SCREENSHOT_DIR", str(PROJECT_DIR / "data" / "report" / "screenshots"))
THEMES = {"index", "experiments", "programme", "campaigns", "segments", "cohorts", "models", "quality"}
# An email address anywhere in a page's HTML (text, attributes, the embedded chart data).
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


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
    # The demo build rejects rows, so the data-quality page charts row fates and rejection reasons.
    quality_titles = [chart.title for chart in by_page["quality.html"].charts]
    assert "Rows accounted for per raw table" in quality_titles
    assert "Rejected rows by table and reason" in quality_titles
    assert 'data-conservation="ok"' in (report_dir / "quality.html").read_text()
    # The channel split (rpt_channel_attribution) is charted on the campaigns page, and drew marks (above).
    assert "Attributed revenue by channel and month" in [chart.title for chart in by_page["campaigns.html"].charts]
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


def audit(con) -> str:
    """The schema the audit marts were built in (audit, under the project's schema config)."""
    query = "select table_schema from information_schema.tables where table_name = 'audit_rejected_rows'"
    return con.execute(query).fetchone()[0]


def test_no_page_prints_an_email_address(report):
    """Rejected raw rows keep their emails (audit_rejected_rows.raw_record): no page of the report shows one."""
    published, _, pages = report
    with duckdb.connect(str(published), read_only=True) as con:
        query = f"select raw_record::varchar from {audit(con)}.audit_rejected_rows"
        records = [row[0] for row in con.execute(query).fetchall()]
    assert any(EMAIL.search(record) for record in records), "the demo's rejected rows hold emails to leak"
    assert EMAIL.search("<td>jane.doe+x@mail.example.co.uk</td>"), "the pattern finds an address in HTML"
    assert len(pages) == len(THEMES)
    for page in pages:
        found = sorted(set(EMAIL.findall(page.read_text())))
        assert not found, f"{page.name} prints email addresses: {found[:3]}"


def test_quarantined_identifiers_and_unsafe_urls_render_when_a_build_has_them(report, browser, tmp_path):
    """The demo quarantines no identifier and drops no URL, so the page shows a note and zeros; a build with
    some draws them. The session build's copy gets rows as such a build would write them (made up here: this
    checks the drawing and that identifiers stay out of the page, not the audit)."""
    published, report_dir, _ = report
    shutil.copytree(report_dir / "assets", tmp_path / "report" / "assets")
    later = tmp_path / "later.duckdb"
    shutil.copy(published, later)
    with duckdb.connect(str(later)) as con:
        schema = audit(con)
        con.execute(
            f"""
            insert into {schema}.audit_quarantined_identifiers by name
            select
                'q' || i as quarantined_identifier_id, 'contact_id' as identifier_type,
                'shared-contact-' || i as identifier_value, sha256('shared-contact-' || i) as identifier_sha256,
                12 as people_linked, 40 as rows_affected, 3 as rows_unattributed, true as is_quarantined,
                'contact_id_shared_by_too_many_people' as reason, 5 as max_people_per_identifier,
                current_timestamp::timestamp as as_of_at
            from range(3) as r(i)
            """
        )
        con.execute(f"update {schema}.audit_unsafe_urls set unsafe_urls = 7 where source_column = 'url'")
        query = f"select identifier_sha256 from {schema}.audit_quarantined_identifiers"
        hashes = [row[0] for row in con.execute(query).fetchall()]
    pages = build_report(later, tmp_path / "report", builders=[quality_page])
    page = next(page for page in pages if page.stem == "quality")
    check = check_page(page)
    assert not check.problems(), check.problems()
    titles = [chart.title for chart in check.charts]
    assert "Quarantined identifiers" in titles
    assert "Unsafe URLs dropped" in titles
    text = page.read_text()
    assert "shared-contact-" not in text
    assert not any(value in text for value in hashes)
