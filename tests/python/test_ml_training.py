"""Unit tests for python_udfs/ml/training.py: training, saving, scoring and drift, and their parts."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_ml_propensity import synthetic_snapshots

from python_udfs.ml.training import (
    CURRENT_COLUMNS,
    SAMPLE_STRATA,
    SNAPSHOT_KEY_COLUMNS,
    _split,
    _train_orders,
    choose_snapshot_rows,
    drift,
    score_all,
    score_batches,
    select_snapshot_rows,
    stratified_sample,
    train_all,
    training_row_cap,
    window_to_window_ratio,
)

HORIZON = 30
PLAN = {"label_days": 30, "step_days": 30, "snapshot_count": 3, "history_days": 400, "customers": 3000}


def shop(n: int, cutoff: str, seed: int) -> pd.DataFrame:
    """The same n customers at one cut-off: a quarter never bought; buying follows recency and opens."""
    frame = synthetic_snapshots(n, cutoff, seed)
    rng = np.random.default_rng(seed + 50)
    frame["customer_id"] = [f"c{i:05d}" for i in range(n)]
    frame["order_count"] = np.where(np.arange(n) % 4 == 0, 0, 1 + rng.poisson(3, n))
    frame["orders_180d"] = np.minimum(frame["order_count"], rng.poisson(1, n))
    frame["web_sessions_90d"] = rng.poisson(2, n)
    frame["horizon_orders"] = np.where(frame["purchased_in_horizon"], 1 + rng.poisson(0.5, n), 0)
    frame["horizon_revenue"] = frame["horizon_orders"] * rng.gamma(2.0, 30.0, n)
    frame["churned_in_horizon"] = (frame["order_count"] > 0) & ~frame["purchased_in_horizon"]
    frame["horizon_days"] = HORIZON
    return frame


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    snapshots = pd.concat([shop(3000, c, s) for c, s in (("2025-11-01", 1), ("2025-12-01", 2), ("2026-01-01", 3))])
    current = shop(3000, "2026-01-31", 4)
    folder = tmp_path_factory.mktemp("models")
    registry = train_all(snapshots, current, folder, "2026-01-31 06:00:00", "2026-01-31", plan=PLAN)
    return snapshots, current, folder, registry


def test_train_all_registers_and_saves_one_model_each(trained):
    _, _, folder, registry = trained
    assert sorted(registry["model_name"]) == ["churn", "clusters", "clv", "propensity"]
    for row in registry.itertuples():
        assert not Path(row.artifact_path).is_absolute(), "stored relative to MODEL_DIR"
        assert (folder / row.artifact_path).exists()
        assert row.model_version.startswith(row.model_name + "-")
        assert row.run_id == f"{row.model_version}@2026-01-31 06:00:00"
        assert isinstance(json.loads(row.metrics), dict)
        assert json.loads(row.features)
    propensity = registry.set_index("model_name").loc["propensity"]
    assert (propensity.training_window_start, propensity.training_window_end) == (
        "2025-11-01 00:00:00",
        "2026-01-01 00:00:00",
    )
    assert propensity.auc > propensity.recency_baseline_auc
    assert 0 <= propensity.calibration_error < 0.05


def test_the_snapshot_plan_is_recorded_with_every_predictive_model(trained):
    _, _, _, registry = trained
    for row in registry[registry["model_name"] != "clusters"].itertuples():
        plan = json.loads(row.parameters)["snapshot_plan"]
        assert {key: plan[key] for key in PLAN} == PLAN
        assert plan["training_rows"] == 6000  # the two older snapshots of 3,000 customers
        metrics = json.loads(row.metrics)
        assert (metrics["snapshot_count"], metrics["snapshot_step_days"], metrics["snapshot_label_days"]) == (3, 30, 30)
        assert (metrics["snapshot_history_days"], metrics["snapshot_training_rows"]) == (400, 6000)


def test_training_does_not_depend_on_the_order_rows_arrive_in(trained, tmp_path):
    snapshots, current, folder, registry = trained
    again = train_all(snapshots.sample(frac=1, random_state=1), current.sample(frac=1, random_state=2), tmp_path,
                      "2026-01-31 06:00:00", "2026-01-31", plan=PLAN)  # fmt: skip
    assert list(again["model_version"]) == list(registry["model_version"])
    first = score_all(current, registry, HORIZON, folder).set_index("customer_id")
    second = score_all(current, again, HORIZON, tmp_path).set_index("customer_id")
    assert np.array_equal(first["purchase_propensity"], second["purchase_propensity"])


def test_score_all_scores_everyone_with_the_latest_models(trained):
    _, current, folder, registry = trained
    older = registry.assign(trained_at="2025-01-01 00:00:00", model_version="old-" + registry["model_version"])
    scores = score_all(current, pd.concat([older, registry]), HORIZON, folder)
    assert len(scores) == len(current)
    assert scores["customer_id"].is_unique
    assert scores["purchase_propensity"].between(0, 1).all()
    assert set(scores["propensity_decile"]) == set(range(1, 11))
    never = current["order_count"].to_numpy() == 0
    assert scores.loc[never, "churn_risk"].isna().all()
    assert (scores.loc[never, "churn_risk_reason"] == "never_bought").all()
    assert scores.loc[~never, "churn_risk"].between(0, 1).all()
    assert scores.loc[~never, "churn_risk_reason"].isna().all()
    assert (scores["model_version"] == registry.set_index("model_name").at["propensity", "model_version"]).all()
    wait = HORIZON / scores["predicted_orders"]
    dated = scores["expected_next_order_date"].notna()
    assert (dated == (wait <= 730)).all()
    expected = (pd.Timestamp("2026-01-31") + pd.to_timedelta(wait[dated], unit="D")).dt.date
    assert (scores.loc[dated, "expected_next_order_date"] == expected).all()
    assert scores["cluster_segment"].notna().all()


def test_scoring_in_batches_gives_the_same_scores_and_deciles(trained):
    _, current, folder, registry = trained
    whole = score_all(current, registry, HORIZON, folder)
    batches = [current.iloc[i : i + 700] for i in range(0, len(current), 700)]
    assert len(batches) > 2
    batched = score_batches(batches, registry, HORIZON, folder)
    assert list(batched.columns) == list(whole.columns)
    pd.testing.assert_frame_equal(batched.reset_index(drop=True), whole.reset_index(drop=True))
    # the decile ranks the whole population, not each batch: the top batch alone would spread over 1 to 10
    top = score_batches([current.iloc[:700]], registry, HORIZON, folder)
    assert set(top["propensity_decile"]) == set(range(1, 11))
    assert not top["propensity_decile"].equals(whole["propensity_decile"].iloc[:700].reset_index(drop=True))


def test_drift_is_stable_for_the_same_population_and_major_for_a_shift(trained):
    _, current, folder, registry = trained
    scores = score_all(current, registry, HORIZON, folder)["purchase_propensity"]
    same = drift(current, registry, scores, "2026-01-31 07:00:00", folder).set_index("feature")
    assert (same["drift_level"] == "stable").all()
    shifted = current.assign(recency_days=current["recency_days"] * 5)
    moved = drift(shifted, registry, score_all(shifted, registry, HORIZON, folder)["purchase_propensity"], "t", folder)
    moved = moved.set_index("feature")
    assert moved.at["recency_days", "drift_level"] == "major"
    assert moved.at["purchase_propensity", "psi"] > same.at["purchase_propensity", "psi"]
    assert moved.at["emails_opened_30d", "drift_level"] == "stable"


def test_split_needs_two_cutoffs_and_validates_on_the_latest():
    two = pd.concat([shop(10, "2026-01-01", 1), shop(10, "2026-02-01", 2)])
    train, valid = _split(two)
    assert set(valid["cutoff_at"]) == {pd.Timestamp("2026-02-01")}
    assert set(train["cutoff_at"]) == {pd.Timestamp("2026-01-01")}
    with pytest.raises(ValueError, match="at least two cut-offs with customers"):
        _split(shop(10, "2026-01-01", 1))


def test_split_trains_only_on_label_windows_closed_before_the_validation_cutoff():
    """An overlapping snapshot (its 30-day labels reach past the latest cut-off) would share the validation
    window's future: it does not train."""
    frames = [shop(10, cutoff, seed) for seed, cutoff in enumerate(("2026-01-01", "2026-01-15", "2026-02-01"))]
    train, valid = _split(pd.concat(frames))
    assert set(train["cutoff_at"]) == {pd.Timestamp("2026-01-01")}
    assert set(valid["cutoff_at"]) == {pd.Timestamp("2026-02-01")}
    with pytest.raises(ValueError, match="closes before the latest cut-off"):
        _split(pd.concat(frames[1:]))


def test_window_to_window_ratio_follows_the_same_customers():
    snapshots = pd.DataFrame(
        {
            "cutoff_at": ["2026-01-01"] * 2 + ["2026-04-01"] * 3,
            "customer_id": ["a", "b", "a", "b", "new"],
            "horizon_orders": [4, 6, 2, 3, 50],  # the newcomer's 50 orders do not count
            "horizon_days": 90,
        }
    )
    assert window_to_window_ratio(snapshots) == pytest.approx(5 / 10)
    assert window_to_window_ratio(snapshots[snapshots["cutoff_at"] == "2026-01-01"]) is None
    # overlapping cut-offs: only pairs one label window apart count (not 2026-01-01 with 2026-02-15)
    overlapping = pd.concat([snapshots, snapshots.iloc[:2].assign(cutoff_at="2026-02-15", horizon_orders=[30, 30])])
    assert window_to_window_ratio(overlapping) == pytest.approx(5 / 10)


def test_orders_model_predicts_counts_and_their_total():
    rng = np.random.default_rng(3)
    train, valid = synthetic_snapshots(4000, "2026-01-01", 1), synthetic_snapshots(2000, "2026-02-01", 2)
    for frame in (train, valid):
        frame["horizon_orders"] = rng.poisson(3 * frame["true_probability"])
    booster, refits, metrics = _train_orders(train, valid)
    assert abs(metrics["orders_total_rel_error"]) < 0.1
    assert metrics["orders_actual_total"] == valid["horizon_orders"].sum()
    assert metrics["orders_mae"] < np.abs(valid["horizon_orders"] - valid["horizon_orders"].mean()).mean()
    assert booster.best_iteration >= 0
    # the deployed refits learn from the latest snapshot too; measured out of sample on it
    assert len(refits) == 2
    assert abs(metrics["orders_refit_total_rel_error"]) < 0.1


def _strata(frame: pd.DataFrame) -> pd.Series:
    keys = frame.assign(is_past_buyer=frame["order_count"] > 0)
    return keys.groupby(list(SAMPLE_STRATA)).size()


@pytest.fixture(scope="module")
def older_snapshots():
    """Two training cut-offs of 3,000 customers each, with rare buyers at the second (about 3% purchase)."""
    first, second = shop(3000, "2025-11-01", 1), shop(3000, "2025-12-01", 2)
    rare = np.random.default_rng(9).random(3000) < 0.03
    second["purchased_in_horizon"] = rare
    second["churned_in_horizon"] = (second["order_count"] > 0) & ~rare
    return pd.concat([first, second]).sort_values(["cutoff_at", "customer_id"]).reset_index(drop=True)


def test_the_sample_keeps_every_strata_share_within_rounding(older_snapshots):
    sample = stratified_sample(older_snapshots, 1000)
    assert len(sample) == 1000
    available, kept = _strata(older_snapshots), _strata(sample).reindex(_strata(older_snapshots).index, fill_value=0)
    expected = available * 1000 / len(older_snapshots)
    assert (np.abs(kept - expected) < 1).all(), pd.DataFrame({"expected": expected, "kept": kept})
    # the rare stratum too: its positives keep their share, so neither classifier's base rate moves
    for cutoff, frame in older_snapshots.groupby("cutoff_at"):
        drawn = sample[sample["cutoff_at"] == cutoff]
        assert abs(drawn["purchased_in_horizon"].mean() - frame["purchased_in_horizon"].mean()) < 0.005
        buyers, drawn_buyers = frame[frame["order_count"] > 0], drawn[drawn["order_count"] > 0]
        assert abs(drawn_buyers["churned_in_horizon"].mean() - buyers["churned_in_horizon"].mean()) < 0.005


def test_the_sample_is_deterministic_and_does_not_depend_on_row_order(older_snapshots):
    first = stratified_sample(older_snapshots, 1000)
    again = stratified_sample(older_snapshots, 1000)
    shuffled = stratified_sample(older_snapshots.sample(frac=1, random_state=3).reset_index(drop=True), 1000)

    def rows(frame):
        return sorted(zip(frame["cutoff_at"], frame["customer_id"], strict=True))

    assert rows(first) == rows(again) == rows(shuffled)
    # not the same customers at every cut-off: the hash takes the cut-off too
    by_cutoff = [set(f["customer_id"]) for _, f in first.groupby("cutoff_at")]
    assert by_cutoff[0] != by_cutoff[1]


def test_strata_and_hash_order_rows_as_pandas_sorts_them_ties_by_customer():
    from python_udfs.ml.training import _ranked_by_strata_and_hash
    from python_udfs.moments import strftime_once

    rng = np.random.default_rng(5)
    n = 3000
    keys = pd.DataFrame({
        "cutoff_at": pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 3, n) * 30, unit="D"),
        "purchased_in_horizon": rng.random(n) < 0.3,
        "is_past_buyer": rng.random(n) < 0.5,
        "customer": rng.permutation([f"c{k}" for k in range(n)]),
        "hash": rng.integers(0, 2**63, n).astype(np.uint64),
    })  # fmt: skip
    expected = keys.sort_values(["cutoff_at", "purchased_in_horizon", "is_past_buyer", "hash", "customer"],
                                kind="stable")  # fmt: skip
    pd.testing.assert_frame_equal(_ranked_by_strata_and_hash(keys), expected)
    # equal hashes within a stratum (a 64-bit collision): the customer ids decide, as in pandas' sort
    keys.loc[keys.index[:400], "hash"] = np.uint64(7)
    expected = keys.sort_values(["cutoff_at", "purchased_in_horizon", "is_past_buyer", "hash", "customer"],
                                kind="stable")  # fmt: skip
    assert not (expected.index == keys.iloc[np.lexsort((keys["hash"], keys["cutoff_at"]))].index).all()
    pd.testing.assert_frame_equal(_ranked_by_strata_and_hash(keys), expected)
    moments = pd.Series(keys["cutoff_at"].to_numpy())
    assert (strftime_once(moments, "%Y-%m-%d %H:%M:%S") == moments.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy()).all()
    with_missing = pd.Series([moments[0], pd.NaT, moments[1]])
    assert pd.isna(strftime_once(with_missing, "%Y-%m-%d")[1])


def test_the_sample_is_a_no_op_at_or_below_the_cap(older_snapshots):
    assert stratified_sample(older_snapshots, None) is older_snapshots
    assert stratified_sample(older_snapshots, len(older_snapshots)) is older_snapshots
    assert len(stratified_sample(older_snapshots, len(older_snapshots) - 1)) == len(older_snapshots) - 1


def test_the_cap_var_reads_a_number_or_none():
    assert training_row_cap("500000") == 500_000
    assert training_row_cap(None) is None
    assert training_row_cap("none") is None
    with pytest.raises(ValueError, match="positive"):
        training_row_cap("0")


def test_a_capped_training_samples_the_older_cutoffs_only_and_records_it(trained, tmp_path):
    snapshots, current, _, registry = trained
    capped = train_all(snapshots, current, tmp_path, "2026-01-31 06:00:00", "2026-01-31", plan=PLAN,
                       max_training_rows=2500)  # fmt: skip
    for row in capped[capped["model_name"] != "clusters"].itertuples():
        metrics, plan = json.loads(row.metrics), json.loads(row.parameters)["snapshot_plan"]
        assert (metrics["training_rows_available"], metrics["training_sample_rows"]) == (6000, 2500)
        assert metrics["training_sample_max_rows"] == plan["training_sample_max_rows"] == 2500
        assert (plan["training_rows"], plan["training_sample_rows"], plan["validation_rows"]) == (6000, 2500, 3000)
    by_name = capped.set_index("model_name")
    propensity = json.loads(by_name.at["propensity", "metrics"])
    assert propensity["train_rows"] == 2500
    # validation is never sampled: both halves of the latest cut-off's 3,000 customers are still measured
    assert propensity["n"] + propensity["tune_rows"] == 3000
    assert json.loads(by_name.at["clv", "metrics"])["n"] == 3000
    churn = json.loads(by_name.at["churn", "metrics"])
    latest = snapshots[snapshots["cutoff_at"] == snapshots["cutoff_at"].max()]
    assert churn["n"] + churn["tune_rows"] == int((latest["order_count"] > 0).sum())
    # when the training set fits (the module's training, under the default cap) nothing is sampled, and the
    # cap is still recorded; a cap equal to the row count is a no-op too (test_the_sample_is_a_no_op_...)
    metrics = json.loads(registry.set_index("model_name").at["propensity", "metrics"])
    assert (metrics["training_rows_available"], metrics["training_sample_rows"]) == (6000, 6000)
    assert metrics["training_sample_max_rows"] == training_row_cap(None)
    assert metrics["auc"] != propensity["auc"], "the capped model was trained on the sample, not on every row"


def test_a_capped_validation_samples_the_latest_cutoff_and_records_it(trained, tmp_path):
    snapshots, current, _, _ = trained
    capped = train_all(snapshots, current, tmp_path, "2026-01-31 06:00:00", "2026-01-31", plan=PLAN,
                       max_validation_rows=2000)  # fmt: skip
    by_name = capped.set_index("model_name")
    for name in ("propensity", "churn", "clv"):
        metrics, plan = json.loads(by_name.at[name, "metrics"]), json.loads(by_name.at[name, "parameters"])
        plan = plan["snapshot_plan"]
        assert (metrics["validation_sample_rows"], metrics["validation_sample_max_rows"]) == (2000, 2000)
        assert (plan["validation_rows"], plan["validation_sample_rows"], plan["training_sample_rows"]) == (
            3000, 2000, 6000)  # fmt: skip
    propensity = json.loads(by_name.at["propensity", "metrics"])
    assert propensity["n"] + propensity["tune_rows"] == 2000
    assert json.loads(by_name.at["clv", "metrics"])["n"] == 2000
    latest = snapshots[snapshots["cutoff_at"] == snapshots["cutoff_at"].max()]
    kept = choose_snapshot_rows(snapshots, None, 2000).valid_sample
    # the stratum shares stay: buyers in the label window, and past buyers (churn's rows)
    assert abs(kept["purchased_in_horizon"].mean() - latest["purchased_in_horizon"].mean()) < 1e-3
    churn = json.loads(by_name.at["churn", "metrics"])
    assert churn["n"] + churn["tune_rows"] == int((kept["order_count"] > 0).sum())
    assert abs((kept["order_count"] > 0).mean() - (latest["order_count"] > 0).mean()) < 1e-3


def test_reading_only_the_chosen_rows_trains_the_same_models(trained, tmp_path):
    """What ml_predictive_model_runs does: choose from the keys, read the chosen rows in batches, train."""
    snapshots, current, _, _ = trained
    whole = train_all(snapshots, current, tmp_path / "whole", "2026-01-31 06:00:00", "2026-01-31", plan=PLAN,
                      max_training_rows=2500, max_validation_rows=2000)  # fmt: skip
    shuffled = snapshots.sample(frac=1, random_state=5).reset_index(drop=True)
    choice = choose_snapshot_rows(shuffled[list(SNAPSHOT_KEY_COLUMNS)], 2500, 2000)
    batches = (shuffled.iloc[start : start + 700] for start in range(0, len(shuffled), 700))
    read = select_snapshot_rows(batches, choice.wanted())
    assert len(read) == 2500 + 2000, "only the two samples are read"
    narrow = current[[name for name in CURRENT_COLUMNS if name in current]]
    chosen = train_all(read, narrow, tmp_path / "chosen", "2026-01-31 06:00:00",
                       "2026-01-31", plan=PLAN, max_training_rows=2500, max_validation_rows=2000,
                       choice=choice)  # fmt: skip
    assert list(chosen["model_version"]) == list(whole["model_version"])
    assert list(chosen["metrics"]) == list(whole["metrics"])


def test_keys_the_warehouse_sorted_are_chosen_from_as_they_come_and_give_the_same_choice(trained):
    """choose_snapshot_rows skips its sort when the keys are in (cutoff_at, customer_id) order already (the
    model asks DuckDB for that order); any other order is sorted, and both choose the same rows."""
    from python_udfs.ml.training import _by_cutoff_and_customer

    snapshots = trained[0][list(SNAPSHOT_KEY_COLUMNS)]
    ordered = snapshots.sort_values(["cutoff_at", "customer_id"]).reset_index(drop=True)
    shuffled = snapshots.sample(frac=1, random_state=3).reset_index(drop=True)
    assert _by_cutoff_and_customer(ordered)
    assert not _by_cutoff_and_customer(shuffled)
    # the same cut-off for two customers out of order, or two cut-offs out of order: not in order
    swapped = ordered.iloc[[1, 0, *range(2, len(ordered))]].reset_index(drop=True)
    assert ordered["cutoff_at"].iloc[0] == ordered["cutoff_at"].iloc[1]
    assert not _by_cutoff_and_customer(swapped)
    assert not _by_cutoff_and_customer(ordered.iloc[::-1])
    first, second = choose_snapshot_rows(ordered, 2500, 2000), choose_snapshot_rows(shuffled, 2500, 2000)
    for name in ("keys", "train_sample", "valid_sample"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
