"""The quality gate inside dbt: a retrain past the data is recorded but not promoted and scoring keeps the last good
models, saying so; score_only on a fresh warehouse says to run the full build first."""

import json

import pytest
from conftest import E2E_END_DATE, assert_ok, run_dbt

from python_udfs.registry import NO_REGISTRY

pytestmark = pytest.mark.e2e

FAR_PAST_THE_DATA = "2028-06-01"  # the demo orders end on E2E_END_DATE: no label window holds a purchase


def test_a_retrain_past_the_data_is_not_promoted_and_scoring_keeps_the_last_good_version(built, warehouse_copy):
    work = warehouse_copy()
    good = dict(built.query("select model_name, model_version from main.ml_model_runs"))
    retrained = assert_ok(
        run_dbt(["build", "--selector", "weekly_retrain"], built.raw_dir, work, {"as_of_date": FAR_PAST_THE_DATA})
    )
    # the build passes, with a warning naming the rejected runs
    assert "WARN 3 assert_latest_model_runs_promoted" in retrained.result.stdout
    runs = retrained.query(
        "select model_name, model_version, is_promoted, is_current, gate_failure_reason, artifact_path "
        "from main.ml_model_runs order by model_name, trained_at"
    )
    latest = {name: (version, promoted, current, reason) for name, version, promoted, current, reason, _ in runs}
    for name in ("propensity", "churn", "clv"):
        version, promoted, current, reason = latest[name]
        assert version != good[name]
        assert not promoted
        assert not current
        assert "(needs 10)" in reason
        assert "history found: " in reason
        assert "days of completed orders (2025-" in reason
        assert f"to as_of {FAR_PAST_THE_DATA}), the last on 2026-05-" in reason
    assert "0 positives in validation" in latest["propensity"][3]
    current = dict(retrained.query("select model_name, model_version from main.ml_model_runs where is_current"))
    assert {name: current[name] for name in ("propensity", "churn", "clv")} == {
        name: good[name] for name in ("propensity", "churn", "clv")
    }
    scores = retrained.query(
        "select distinct model_version, is_fallback, scored_with_versions, scoring_note "
        "from intermediate.ml_customer_scores"
    )
    assert len(scores) == 1
    version, is_fallback, versions, note = scores[0]
    assert version == good["propensity"]
    assert is_fallback
    assert json.loads(versions)["churn"] == good["churn"]
    assert f"propensity: run {latest['propensity'][0]} trained" in note
    assert f"scored with {good['propensity']} trained" in note
    spread = retrained.scalar("select count(distinct purchase_propensity) from intermediate.ml_customer_scores")
    assert spread > 100, "scored by a real model, not everyone the same"
    drift = "intermediate.ml_feature_drift"
    assert retrained.query(f"select distinct model_version from {drift} where scored_at = "
                           f"(select max(scored_at) from {drift})") == [(good["propensity"],)]  # fmt: skip


def test_score_only_on_a_fresh_warehouse_says_to_run_the_full_build_first(demo_data, tmp_path):
    raw, _, _ = demo_data
    build = run_dbt(["build", "--selector", "score_only"], raw, tmp_path / "fresh", {"as_of_date": E2E_END_DATE})
    assert build.result.returncode != 0
    out = build.result.stdout
    assert NO_REGISTRY in out
    assert 'schema "seeds" does not exist' not in out, "score_only loads the seeds itself"
    errors = [line for line in out.splitlines() if " ERROR creating " in line]
    # the steps that score with registered models, nothing before them, each stopping with the same message
    scoring = ["ml_customer_recommendations", "ml_customer_scores", "ml_similar_products"]
    assert sorted(line.split(" model ")[1].split()[0].split(".")[-1] for line in errors) == scoring, errors
    for name in scoring:
        # dbt's summary: "Failure in model <name> (...)", "Runtime Error in model <name> (...)", then the error
        reports = [part.split(" in model ")[0] for part in out.split(f" in model {name} (")[1:]]
        assert any(NO_REGISTRY in report for report in reports), name
    assert build.scalar("select count(*) from main.fct_customer_features") > 0
