"""Predictive models inside the build: registry, honest metrics, scores for everyone, score-only reuse."""

import json
from pathlib import Path

import pytest
from conftest import E2E_END_DATE, assert_ok, run_dbt

pytestmark = pytest.mark.e2e


def test_registry_records_every_model_with_out_of_sample_metrics(built):
    rows = built.query(
        "select model_name, auc, recency_baseline_auc, calibration_error, metrics from main.ml_model_runs"
    )
    models = {r[0]: r for r in rows}
    assert set(models) == {"propensity", "churn", "clv", "clusters", "recommendations"}
    _, auc, baseline, ece, metrics = models["propensity"]
    assert auc > 0.7
    assert auc > baseline
    assert ece < 0.05
    assert json.loads(metrics)["n"] > 100
    assert json.loads(models["clv"][4])["actual_total"] > 0
    grades = dict(built.query("select model_name, quality_grade from main.ml_model_runs"))
    quality = dict(built.query("select model_name, prediction_quality from main.ml_model_runs"))
    # the seed's bands: an AUC above 0.8 is a lift quality above 0.6
    assert quality["propensity"] == pytest.approx(json.loads(metrics)["lift_quality"])
    assert quality["propensity"] > 0.6
    assert grades["propensity"] == "Excellent"
    assert grades["churn"] in {"Excellent", "Good", "Fair", "Poor"}
    assert grades["clv"] is None
    assert grades["clusters"] is None


def test_registry_records_the_snapshot_plan_the_models_trained_on(built):
    planned = built.query(
        "select label_days, step_days, snapshot_count, history_days, customers "
        "from intermediate.int_training_cutoffs_planned limit 1"
    )[0]
    training_rows = built.scalar(
        "select count(*) from intermediate.int_training_snapshots "
        "where cutoff_at < (select max(cutoff_at) from intermediate.int_training_snapshots)"
    )
    for name in ("propensity", "churn", "clv"):
        parameters, metrics = built.query(
            f"select parameters, metrics from main.ml_model_runs where model_name = '{name}'"
        )[0]
        plan = json.loads(parameters)["snapshot_plan"]
        assert tuple(plan[key] for key in ("label_days", "step_days", "snapshot_count", "history_days",
                                           "customers")) == planned  # fmt: skip
        assert plan["training_rows"] == training_rows
        metrics = json.loads(metrics)
        assert metrics["snapshot_count"] == planned[2]
        assert metrics["snapshot_step_days"] == planned[1]
        assert metrics["snapshot_label_days"] == planned[0]
        assert metrics["snapshot_history_days"] == planned[3]
        assert metrics["snapshot_training_rows"] == training_rows


def test_every_customer_is_scored_and_tiers_follow_the_seed(built):
    assert built.scalar("select count(*) from main.fct_customer_scores") == built.scalar(
        "select count(*) from main.dim_customers"
    )
    assert built.scalar("select count(*) from main.fct_customer_scores where purchase_propensity is null") == 0
    wrong_tier = built.scalar(
        """
        select count(*) from main.fct_customer_scores
        where action_tier != case when purchase_propensity >= 0.8 then 'offer'
                                  when purchase_propensity >= 0.5 then 'nurture' else 're-engage' end
        """
    )
    assert wrong_tier == 0
    no_reason = built.scalar(
        "select count(*) from main.fct_customer_scores where churn_risk is null and churn_risk_reason is null"
    )
    assert no_reason == 0


def test_propensity_deciles_are_tenths(built):
    """The calibration keeps every distinct score, so each decile holds about a tenth (ties of identical
    customers aside); a step-function calibration collapses whole deciles."""
    shares = dict(
        built.query(
            "select propensity_decile, count(*) / sum(count(*)) over () from main.fct_customer_scores group by 1"
        )
    )
    assert sorted(shares) == list(range(1, 11))
    assert max(shares.values()) < 0.15


def test_score_only_job_reuses_the_registered_models(built, warehouse_copy):
    work = warehouse_copy()
    runs_before = built.scalar("select count(*) from main.ml_model_runs")
    drift_before = built.scalar("select count(distinct scored_at) from intermediate.ml_feature_drift")
    scored = assert_ok(
        run_dbt(["build", "--selector", "score_only"], built.raw_dir, work, {"as_of_date": E2E_END_DATE})
    )
    assert scored.scalar("select count(*) from main.ml_model_runs") == runs_before
    # the copy loads the copied models: paths are stored relative to MODEL_DIR, so the folder can move
    for (path,) in scored.query("select artifact_path from main.ml_model_runs"):
        assert not Path(path).is_absolute(), path
        assert (work / "models" / path).exists(), path
    latest = scored.scalar(
        "select model_version from main.ml_model_runs where model_name = 'propensity' order by trained_at desc limit 1"
    )
    assert scored.query("select distinct model_version from main.fct_customer_scores") == [(latest,)]
    assert scored.scalar("select count(distinct scored_at) from intermediate.ml_feature_drift") == drift_before + 1


def test_propensity_ranks_the_planted_holdout_purchases(demo_data, tmp_path):
    """Build as of 30 days before the data ends; score against what people really bought in those 30 days."""
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    raw, _, _ = demo_data
    end = pd.Timestamp(E2E_END_DATE)
    as_of = end - pd.Timedelta(days=30)
    build = assert_ok(
        run_dbt(["build", "--select", "+fct_customer_scores", "--indirect-selection", "cautious"], raw,
                tmp_path / "build", {"as_of_date": as_of.date().isoformat()})
    )  # fmt: skip
    orders = pd.read_parquet(raw / "orders.parquet")
    when = pd.to_datetime(orders["ordered_at"], utc=True, errors="coerce", format="ISO8601").dt.tz_localize(None)
    status = orders["status"].str.strip().str.lower()
    bought = orders[(when >= as_of) & (when < end) & (status == "completed") & orders["contact_id"].notna()]
    scores = pd.DataFrame(
        build.query(
            """
            select d.contact_id, s.purchase_propensity, s.expected_next_order_date
            from main.fct_customer_scores as s
            inner join main.dim_customers as d on s.customer_id = d.customer_id
            where d.customer_type = 'crm_contact'
            """
        ),
        columns=["contact_id", "p", "next_order"],
    )
    scores["bought"] = scores["contact_id"].isin(set(bought["contact_id"]))
    assert scores["bought"].sum() > 50
    assert roc_auc_score(scores["bought"], scores["p"]) >= 0.7
    # the expected next order date: those expected inside the window bought far more often than the rest
    expected_inside = pd.to_datetime(scores["next_order"]) < end
    assert expected_inside.sum() > 20
    assert scores.loc[expected_inside, "bought"].mean() > 3 * scores.loc[~expected_inside, "bought"].mean()


def test_clusters_recover_the_planted_archetypes(built, demo_data):
    """Adjusted Rand index against the generator's archetypes, on the people who can show theirs.

    An archetype is visible only in behaviour: someone who signed up last month,
    or whose planted drop-out date has passed, looks inactive whatever they were
    planted as. So the comparison covers contacts with at least 180 days of
    tenure who had not dropped out by the as-of date.
    """
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    _, truth_dir, _ = demo_data
    as_of = pd.Timestamp(E2E_END_DATE)
    people = pd.read_parquet(truth_dir / "people.parquet")
    visible = people[(people["created_at"] <= as_of - pd.Timedelta(days=180)) & (people["dropout_at"] > as_of)]
    clusters = pd.DataFrame(
        built.query(
            """
            select d.contact_id, s.cluster_segment
            from main.fct_customer_scores as s
            inner join main.dim_customers as d on s.customer_id = d.customer_id
            where d.customer_type = 'crm_contact'
            """
        ),
        columns=["contact_id", "cluster_segment"],
    )
    joined = visible.merge(clusters, on="contact_id")
    assert len(joined) > 500
    assert adjusted_rand_score(joined["archetype"], joined["cluster_segment"]) >= 0.6
    # the names follow the profiles: most planted engaged browsers land in "Engaged browsers"
    named = joined.groupby("archetype")["cluster_segment"].agg(lambda s: s.mode()[0])
    assert named["engaged_browser"] == "Engaged browsers"
    assert named["highly_engaged_buyer"] == "Highly engaged buyers"
    assert named["infrequent_buyer"] == "Infrequent buyers"
