"""Unit tests for python_udfs/ml/gate.py and its use by training.py: degenerate runs are recorded, never promoted,
scoring keeps the last good version and says so, and every refusal says what was found, what is needed and what
to do."""

import json

import numpy as np
import pandas as pd
import pytest
from test_ml_training import HORIZON, PLAN, shop

from python_udfs.ml.gate import (
    GateThresholds,
    classifier_gate,
    describe_history,
    history_summary,
    recommender_gate,
    regression_gate,
)
from python_udfs.ml.training import score_all, train_all
from python_udfs.registry import NO_REGISTRY, NoPromotedModelError, current_runs, raise_if_no_registry

GATE = GateThresholds()


def test_classifier_gate_passes_a_learnable_problem_and_names_every_failed_check():
    y = np.r_[np.ones(50), np.zeros(150)].astype(int)
    assert classifier_gate(y, y, GATE) is None
    assert classifier_gate(y, y, GATE, auc=0.71, valid_scores=np.linspace(0, 1, 200)) is None
    none_bought = np.zeros(200, dtype=int)
    reason = classifier_gate(none_bought, none_bought, GATE)
    assert "0 positives in training (needs 10)" in reason
    assert "0 positives in validation (needs 10)" in reason
    assert classifier_gate(y[:40], y, GATE).startswith("40 training rows (needs 100)")
    assert "validation AUC is null" in classifier_gate(y, y, GATE, auc=float("nan"), valid_scores=np.ones(200))
    assert "every validation score is the same" in classifier_gate(y, y, GATE, auc=0.6, valid_scores=np.ones(200))
    assert "AUC 0.480 not above 0.5 (var ml_gate_min_auc)" in classifier_gate(
        y, y, GATE, auc=0.48, valid_scores=np.linspace(0, 1, 200)
    )
    strict = GateThresholds.from_config({"min_training_rows": "10", "min_positives": "60", "min_auc": "0.8"})
    assert strict == GateThresholds(10, 60, 0.8)
    assert "50 positives in training (needs 60)" in classifier_gate(y, y, strict)


def test_regression_gate_needs_buyers_in_both_windows_and_varied_predictions():
    orders = np.r_[np.ones(30), np.zeros(170)]
    assert regression_gate(orders, orders, GATE, np.linspace(0, 2, 200)) is None
    assert "0 buyers in the validation label window (needs 10)" in regression_gate(orders, np.zeros(200), GATE)
    assert "every validation prediction of orders is the same" in regression_gate(orders, orders, GATE, np.zeros(200))


def test_recommender_gate_compares_with_popularity_or_needs_a_non_empty_model():
    better = {"users": 120, "ndcg@10": 0.11, "popularity": {"ndcg@10": 0.02}, "items_in_collaborative_model": 200}
    assert recommender_gate(better, 5000) is None
    worse = {**better, "ndcg@10": 0.01}
    assert "ndcg@10 0.0100 on the holdout purchases is below the popularity baseline's 0.0200" in recommender_gate(
        worse, 5000
    )
    unmeasured_empty = {"holdout_days": 30, "users": 0, "items_in_collaborative_model": 0}
    assert "holds no items although 5,000 interactions" in recommender_gate(unmeasured_empty, 5000)
    assert recommender_gate(unmeasured_empty, 0) is None, "nothing to learn from is not a degenerate fit"
    assert recommender_gate({**unmeasured_empty, "items_in_collaborative_model": 80}, 5000) is None


def run(name, version, trained_at, promoted=True, reason=None, path="x.joblib"):
    return {"run_id": f"{version}@{trained_at}", "model_name": name, "model_version": version,
            "trained_at": trained_at, "is_promoted": promoted, "gate_failure_reason": reason,
            "artifact_path": path}  # fmt: skip


def test_current_run_is_the_last_promoted_one_and_a_newer_rejection_is_noted():
    registry = pd.DataFrame([
        run("propensity", "propensity-old", "2026-01-01 06:00:00"),
        run("propensity", "propensity-good", "2026-02-01 06:00:00"),
        run("propensity", "propensity-bad", "2026-03-01 06:00:00", False, "0 positives in training (needs 10)"),
        run("churn", "churn-untrained", "2026-03-01 06:00:00", False, "not trained: ...", None),
        run("clv", "clv-good", "2026-03-01 06:00:00"),
    ])  # fmt: skip
    runs = current_runs(registry)
    assert runs["propensity"]["current"]["model_version"] == "propensity-good"
    assert runs["propensity"]["is_fallback"]
    assert runs["propensity"]["note"] == (
        "propensity: run propensity-bad trained 2026-03-01 06:00:00 was not promoted (0 positives in training "
        "(needs 10)); scored with propensity-good trained 2026-02-01 06:00:00"
    )
    assert runs["churn"]["current"] is None
    assert runs["clv"]["current"]["model_version"] == "clv-good"
    assert not runs["clv"]["is_fallback"]


def test_runs_recorded_before_the_gate_existed_count_as_promoted():
    legacy = pd.DataFrame([run("propensity", "propensity-legacy", "2025-01-01 00:00:00")]).drop(
        columns=["is_promoted", "gate_failure_reason"]
    )
    assert current_runs(legacy)["propensity"]["current"]["model_version"] == "propensity-legacy"
    nulls = pd.DataFrame([run("propensity", "propensity-legacy", "2025-01-01 00:00:00", None)])
    assert current_runs(nulls)["propensity"]["current"] is not None


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A healthy retrain on 1,000 customers at three monthly cut-offs, all four models promoted."""
    snapshots = pd.concat([shop(1000, c, s) for c, s in (("2025-11-01", 1), ("2025-12-01", 2), ("2026-01-01", 3))])
    current = shop(1000, "2026-01-31", 4)
    folder = tmp_path_factory.mktemp("models")
    registry = train_all(snapshots, current, folder, "2026-01-31 06:00:00", "2026-01-31", plan=PLAN)
    return snapshots, current, folder, registry


def quiet(frame: pd.DataFrame) -> pd.DataFrame:
    """as_of far past the data: nobody buys in any label window any more."""
    return frame.assign(purchased_in_horizon=False, horizon_orders=0, horizon_revenue=0.0,
                        churned_in_horizon=frame["order_count"] > 0)  # fmt: skip


def test_a_healthy_retrain_is_promoted(good):
    _, _, _, registry = good
    assert registry["is_promoted"].all(), registry[["model_name", "gate_failure_reason"]]
    assert registry["gate_failure_reason"].isna().all()


def test_a_degenerate_retrain_is_recorded_not_promoted_and_scoring_keeps_the_last_good_version(good, tmp_path):
    _, current, folder, registry = good
    later = quiet(pd.concat([shop(1000, c, s) for c, s in (("2026-02-01", 5), ("2026-03-01", 6), ("2026-04-01", 7))]))
    rejected = train_all(later, current, folder, "2026-05-01 06:00:00", "2026-05-01", plan=PLAN)
    by_name = rejected.set_index("model_name")
    for name in ("propensity", "churn", "clv"):
        assert not by_name.at[name, "is_promoted"]
        assert "history found:" in by_name.at[name, "gate_failure_reason"]
    assert "0 positives in training (needs 10)" in by_name.at["propensity", "gate_failure_reason"]
    assert "0 negatives in training (needs 10)" in by_name.at["churn", "gate_failure_reason"]
    assert by_name.at["churn", "gate_failure_reason"].startswith("not trained: among past buyers, ")
    assert "0 buyers in the training label windows (needs 10)" in by_name.at["clv", "gate_failure_reason"]
    assert by_name.at["clusters", "is_promoted"], "clusters read today's customers, not the label windows"
    both = pd.concat([registry, rejected], ignore_index=True)
    scores = score_all(current, both, HORIZON, folder)
    good_scores = score_all(current, registry, HORIZON, folder)
    assert np.array_equal(scores["purchase_propensity"], good_scores["purchase_propensity"])
    assert scores["is_fallback"].all()
    versions = json.loads(scores["scored_with_versions"].iloc[0])
    promoted = registry.set_index("model_name")["model_version"]
    assert {name: versions[name] for name in ("propensity", "churn", "clv")} == {
        name: promoted[name] for name in ("propensity", "churn", "clv")
    }
    assert versions["clusters"] == by_name.at["clusters", "model_version"]
    note = scores["scoring_note"].iloc[0]
    assert f"propensity: run {by_name.at['propensity', 'model_version']}" in note
    assert f"scored with {promoted['propensity']} trained 2026-01-31 06:00:00" in note
    assert not good_scores["is_fallback"].any()
    assert good_scores["scoring_note"].isna().all()


def test_with_no_good_version_scoring_refuses_and_says_what_history_is_needed(good, tmp_path):
    _, current, _, _ = good
    later = quiet(pd.concat([shop(1000, c, s) for c, s in (("2026-01-01", 5), ("2026-03-01", 6))]))
    rejected = train_all(later, current, tmp_path, "2026-05-01 06:00:00", "2026-05-01", plan=PLAN)
    with pytest.raises(NoPromotedModelError) as error:
        score_all(current, rejected, HORIZON, tmp_path)
    message = str(error.value)
    assert message.startswith("No version of propensity, churn, clv has passed its quality gate")
    assert "0 positives in training (needs 10)" in message
    assert "history found:" in message
    assert "propensity needs at least 100 training rows" in message
    assert "What to do: set var as_of_date later" in message


def test_without_a_passing_churn_model_churn_is_null_with_a_reason_and_the_rest_scores(good):
    _, current, folder, registry = good
    rejected_churn = registry[registry["model_name"] == "churn"].assign(
        is_promoted=False, gate_failure_reason="among past buyers, 5 negatives in training (needs 10)"
    )
    registry = pd.concat([registry[registry["model_name"] != "churn"], rejected_churn], ignore_index=True)
    scores = score_all(current, registry, HORIZON, folder)
    buyers = current["order_count"].to_numpy() > 0
    assert scores["purchase_propensity"].notna().all()
    assert scores["predicted_clv"].notna().all()
    assert scores["churn_risk"].isna().all()
    assert set(scores.loc[buyers, "churn_risk_reason"]) == {"no_promoted_model"}
    assert set(scores.loc[~buyers, "churn_risk_reason"]) == {"never_bought"}
    assert json.loads(scores["scored_with_versions"].iloc[0])["churn"] is None
    assert not scores["is_fallback"].any()
    assert scores["scoring_note"].iloc[0] == (
        f"churn: no version has passed its quality gate (latest run {rejected_churn['model_version'].iloc[0]}: "
        "among past buyers, 5 negatives in training (needs 10)); its scores are null"
    )


def test_one_cutoff_with_customers_is_not_trained_and_says_how_much_history_there_is(good, tmp_path):
    """One customer, or an as_of_date near the start of the data: the older cut-offs hold nobody."""
    _, current, _, _ = good
    one = shop(1000, "2026-01-01", 3)
    current = current.assign(first_order_at=pd.Timestamp("2025-12-20"), last_order_at=pd.Timestamp("2026-01-30"))
    registry = train_all(one, current, tmp_path, "2026-01-31 06:00:00", "2026-01-31", plan=PLAN)
    by_name = registry.set_index("model_name")
    for name in ("propensity", "churn", "clv"):
        reason = by_name.at[name, "gate_failure_reason"]
        assert not by_name.at[name, "is_promoted"]
        assert by_name.at[name, "artifact_path"] is pd.NA
        assert reason.startswith(
            "not trained: training needs at least two cut-offs with customers (the older ones train, the latest "
            "validates); found 1; history found: 42 days of completed orders (2025-12-20 to as_of 2026-01-31), the "
            "last on 2026-01-30"
        ), reason
        assert "training cut-off(s) with customers, label window 30 days" in reason


def test_a_single_buyer_is_refused_with_the_counts(good, tmp_path):
    _, current, _, _ = good
    snapshots = quiet(pd.concat([shop(300, c, s) for c, s in (("2025-11-01", 1), ("2025-12-01", 2))]))
    snapshots.loc[snapshots["customer_id"] == "c00001", ["purchased_in_horizon", "horizon_orders"]] = (True, 2)
    registry = train_all(snapshots, current, tmp_path, "2026-01-31 06:00:00", "2026-01-31", plan=PLAN)
    reason = registry.set_index("model_name").at["propensity", "gate_failure_reason"]
    assert reason.startswith("not trained: 1 positives in training (needs 10); 1 positives in validation (needs 10)")


def test_a_missing_registry_says_to_run_the_full_build_first():
    missing = RuntimeError("Catalog Error: Table with name ml_model_runs does not exist!")
    with pytest.raises(RuntimeError, match="Run the full build once first") as error:
        raise_if_no_registry(missing)
    assert str(error.value) == NO_REGISTRY
    assert error.value.__cause__ is missing
    assert raise_if_no_registry(ValueError("something else")) is None, "other errors are the caller's to raise"


def test_the_history_found_is_described_in_days_orders_customers_and_cutoffs():
    current = pd.DataFrame({
        "customer_id": ["a", "b", "c"], "order_count": [3, 1, 0], "cutoff_at": pd.Timestamp("2026-06-01"),
        "first_order_at": [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-03-01"), pd.NaT],
        "last_order_at": [pd.Timestamp("2026-05-01"), pd.Timestamp("2026-03-01"), pd.NaT],
    })  # fmt: skip
    snapshots = pd.DataFrame({"cutoff_at": [pd.Timestamp("2026-04-01"), pd.Timestamp("2026-05-01")]})
    assert describe_history(history_summary(current, snapshots, {"label_days": 30, "snapshot_count": 2})) == (
        "history found: 151 days of completed orders (2026-01-01 to as_of 2026-06-01), the last on 2026-05-01, "
        "4 completed orders from 2 of 3 customers, 2 training cut-off(s) with customers, label window 30 days"
    )
    nobody = current.assign(order_count=0, first_order_at=pd.NaT, last_order_at=pd.NaT)
    assert describe_history(history_summary(nobody, snapshots.head(0), None)) == (
        "history found: no completed order before as_of 2026-06-01 (only orders with status completed count), "
        "0 completed orders from 0 of 3 customers, 0 training cut-off(s) with customers"
    )
