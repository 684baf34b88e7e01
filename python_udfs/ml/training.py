"""Train every predictive model from the training snapshots, store them, and score customers.

Kept apart from dbt: the dbt Python models only read frames, call these
functions and return frames. Models are saved, recorded and loaded through the
model registry (python_udfs/registry.py): one file per model version under
MODEL_DIR, so a score-only job reuses the last trained models without
retraining.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from python_udfs.dbt_io import ArtifactStore, artifact_store
from python_udfs.ml.clustering import CLUSTER_FEATURES, DEFAULT_K_RANGE, fit_clusters
from python_udfs.ml.gate import (
    PREDICTIVE_MODELS,
    GateThresholds,
    classifier_gate,
    clusters_gate,
    describe_history,
    history_summary,
    regression_gate,
)
from python_udfs.ml.metrics import population_stability_index
from python_udfs.ml.propensity import (
    FEATURES,
    PARAMS,
    _holdout_half,
    deciles,
    feature_matrix,
    gain_importance,
    train_classifier,
)
from python_udfs.moments import strftime_once
from python_udfs.registry import (
    current_runs,
    load_artifact,
    model_version,
    registry_frame,
    registry_row,
    require_current,
    save_artifact,
    versions_json,
)

CLV_PARAMS = {**PARAMS, "objective": "reg:tweedie", "tweedie_variance_power": 1.3, "eval_metric": "rmse"}
ORDERS_PARAMS = {**PARAMS, "objective": "count:poisson", "eval_metric": "poisson-nloglik"}
REFERENCE_ROWS = 5000


def _split(snapshots: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Older cut-offs train, the latest validates: validation is later than anything trained on.

    Only cut-offs whose label window (horizon_days) has closed by the latest cut-off train: a training label
    that overlaps the validation window would share its future (int_training_cutoffs_planned never plans one).
    """
    cutoff = pd.to_datetime(snapshots["cutoff_at"])
    cutoffs = sorted(cutoff.unique())
    if len(cutoffs) < 2:
        raise ValueError(
            f"training needs at least two cut-offs with customers (the older ones train, the latest validates); "
            f"found {len(cutoffs)}"
        )
    latest = cutoff == cutoffs[-1]
    closed = cutoff + pd.to_timedelta(snapshots["horizon_days"].astype(int), unit="D") <= cutoffs[-1]
    if not closed.any():
        raise ValueError(
            "no training cut-off's label window closes before the latest cut-off (cut-offs must be at least one "
            "label window apart)"
        )
    return snapshots[closed], snapshots[latest]


SAMPLE_STRATA = ("cutoff_at", "purchased_in_horizon", "is_past_buyer")


def training_row_cap(value: object, var: str = "ml_training_max_rows") -> int | None:
    """A row cap var (ml_training_max_rows, ml_validation_max_rows): a positive whole number, or None (no cap)."""
    if value is None or str(value).strip().lower() in ("", "none", "null"):
        return None
    cap = int(str(value).strip())
    if cap < 1:
        raise ValueError(f"{var} must be a positive number of rows or none, got {value!r}")
    return cap


def stratified_sample(train: pd.DataFrame, max_rows: int | None) -> pd.DataFrame:
    """At most max_rows of the training rows, the same share of every stratum; train itself when it fits.

    Strata: cut-off x purchased_in_horizon x past buyer (order_count > 0). The purchase label and the
    cut-off keep their mix, and so does churn's training set (past buyers; churned = not purchased), so
    neither classifier's base rate nor the regressors' totals move: no row weights, and the calibration
    (Platt, fitted on the unsampled validation snapshot) sees the same classes it did without a sample.
    Each stratum keeps floor(share x its rows), the rows left over go to the largest remainders (ties in
    stratum order), and within a stratum the rows kept are those with the smallest hash of customer_id and
    cut-off: the same rows on every rerun, whatever order they arrive in, and a customer is not kept or
    dropped at every cut-off together. The validation snapshot is sampled the same way, under its own cap
    (choose_snapshot_rows): one cut-off, so its strata are the two labels' mix.
    """
    if max_rows is None or len(train) <= max_rows:
        return train
    if max_rows < 1:
        raise ValueError(f"max_rows must be positive, got {max_rows}")
    cutoff = pd.to_datetime(train["cutoff_at"])
    customer = train["customer_id"].astype(str).to_numpy()
    keys = pd.DataFrame(
        {
            "cutoff_at": cutoff.to_numpy(),
            "purchased_in_horizon": train["purchased_in_horizon"].astype(bool).to_numpy(),
            "is_past_buyer": (pd.to_numeric(train["order_count"], errors="coerce").fillna(0) > 0).to_numpy(),
            "customer": customer,
        }
    )
    keys["hash"] = pd.util.hash_pandas_object(
        pd.DataFrame({"customer": customer, "cutoff": strftime_once(cutoff, "%Y-%m-%d %H:%M:%S")}), index=False
    ).to_numpy()
    sizes = keys.groupby(list(SAMPLE_STRATA)).size()
    quota = sizes * (max_rows / len(train))
    keep = np.floor(quota).astype(int)
    left = max_rows - int(keep.sum())
    keep[(quota - keep).sort_values(ascending=False, kind="stable").index[:left]] += 1
    ranked = _ranked_by_strata_and_hash(keys)
    position = ranked.groupby(list(SAMPLE_STRATA)).cumcount()
    allowed = keep.reindex(pd.MultiIndex.from_frame(ranked[list(SAMPLE_STRATA)])).to_numpy()
    chosen = np.zeros(len(train), dtype=bool)
    chosen[ranked.index[position.to_numpy() < allowed]] = True
    return train[chosen]


def _ranked_by_strata_and_hash(keys: pd.DataFrame) -> pd.DataFrame:
    """keys.sort_values([*SAMPLE_STRATA, "hash", "customer"], kind="stable"). The customer id only orders rows
    of one stratum with the same 64-bit hash: sorted by the numbers, and by the strings only when two such rows
    meet (sorting 2.4 M strings took about 1.5 s at 1,000,000 contacts)."""
    by = [*SAMPLE_STRATA, "hash", "customer"]
    columns = [keys[name].to_numpy() for name in by[:-1]]
    if any(c.dtype.kind not in "biuM" or (c.dtype.kind == "M" and np.isnat(c).any()) for c in columns):
        return keys.sort_values(by, kind="stable")  # missing times, or values that are not numbers
    columns = [c.view(np.int64) if c.dtype.kind == "M" else c for c in columns]
    order = np.lexsort(columns[::-1])
    same = np.ones(max(len(order) - 1, 0), dtype=bool)
    for column in columns:
        ordered = column[order]
        same &= ordered[1:] == ordered[:-1]
    if same.any():  # two rows only a customer id apart: let the strings decide
        return keys.sort_values(by, kind="stable")
    return keys.iloc[order]


# what train_all needs of every snapshot row, whole or sampled (split, strata, plan, orders_window_ratio)
SNAPSHOT_KEY_COLUMNS = ("customer_id", "cutoff_at", "horizon_days", "purchased_in_horizon", "order_count",
                        "horizon_orders")  # fmt: skip
# what train_all needs of int_customer_features: history_summary and the clusters
CURRENT_COLUMNS = tuple(dict.fromkeys(("customer_id", "cutoff_at", "first_order_at", "last_order_at", "order_count",
                                        *CLUSTER_FEATURES)))  # fmt: skip


@dataclass(frozen=True)
class SnapshotChoice:
    """Which snapshot rows train and validate, chosen from the keys of every row (SNAPSHOT_KEY_COLUMNS).

    keys: every snapshot row, sorted by cut-off and customer; train and valid: the older cut-offs whose label
    window has closed and the latest cut-off (_split), before any sample; train_sample and valid_sample: the rows
    the models use (stratified_sample under max_training_rows and max_validation_rows). split_error: why nothing
    can train (_split's message), when train and valid are None.
    """

    keys: pd.DataFrame
    train: pd.DataFrame | None = None
    valid: pd.DataFrame | None = None
    train_sample: pd.DataFrame | None = None
    valid_sample: pd.DataFrame | None = None
    split_error: str | None = None

    def wanted(self) -> pd.MultiIndex:
        """(customer_id, cutoff_at) of the rows to read whole: both samples."""
        if self.train_sample is None:
            return pd.MultiIndex.from_arrays([[], []], names=["customer_id", "cutoff_at"])
        return _row_keys(pd.concat([self.train_sample, self.valid_sample]))


def _row_keys(frame: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays(
        [frame["customer_id"].astype(str).to_numpy(), pd.to_datetime(frame["cutoff_at"]).to_numpy()],
        names=["customer_id", "cutoff_at"],
    )


def choose_snapshot_rows(
    keys: pd.DataFrame, max_training_rows: int | None = None, max_validation_rows: int | None = None
) -> SnapshotChoice:
    """Split the snapshot rows into training and validation and sample each above its cap (see SnapshotChoice).

    Only the keys are needed, so a warehouse of any size can choose here and then read just the chosen rows
    (select_snapshot_rows).
    """
    keys = (keys if _by_cutoff_and_customer(keys) else keys.sort_values(["cutoff_at", "customer_id"])).reset_index(
        drop=True
    )
    try:
        train, valid = _split(keys)
    except ValueError as error:
        return SnapshotChoice(keys, split_error=str(error))
    return SnapshotChoice(keys, train, valid, stratified_sample(train, max_training_rows),
                          stratified_sample(valid, max_validation_rows))  # fmt: skip


def _by_cutoff_and_customer(keys: pd.DataFrame) -> bool:
    """Whether the keys are in (cutoff_at, customer_id) order already, none missing (the warehouse sorts them:
    sorting 2.4 M keys by their string ids in pandas took about 5 s at 1,000,000 contacts)."""
    cutoff, customer = keys["cutoff_at"], keys["customer_id"]
    if len(keys) < 2 or cutoff.isna().any() or customer.isna().any():
        return len(keys) < 2
    cutoff, customer = cutoff.to_numpy(), customer.astype(str).to_numpy()
    later = cutoff[1:] > cutoff[:-1]
    same = cutoff[1:] == cutoff[:-1]
    return bool((later | (same & (customer[1:] >= customer[:-1]))).all())


def select_snapshot_rows(batches: Iterable[pd.DataFrame], wanted: pd.MultiIndex) -> pd.DataFrame:
    """The rows of the batches (frames of int_training_snapshots) whose (customer_id, cutoff_at) are wanted."""
    parts = [batch[_row_keys(batch).isin(wanted)] for batch in batches]
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].reset_index(drop=True)


def _rows_of(frame: pd.DataFrame, keys: pd.DataFrame) -> pd.DataFrame:
    """The rows of frame (in its order) whose (customer_id, cutoff_at) are rows of keys."""
    return frame[_row_keys(frame).isin(_row_keys(keys))]


def _window(frame: pd.DataFrame) -> tuple[str, str]:
    cutoffs = pd.to_datetime(frame["cutoff_at"])
    return str(cutoffs.min()), str(cutoffs.max())


def _train_regressor(
    train: pd.DataFrame, valid: pd.DataFrame, label: str, params: dict, prefix: str = "", min_delta: float = 0.0
) -> tuple[xgb.Booster, tuple[xgb.Booster, ...], dict]:
    """Boosting on a horizon total (spend or orders): selected on the older snapshots, refitted on the latest too.

    As for the classifiers (train_classifier): the selection model learns from the older snapshots,
    early-stopped on the latest one, which sets the number of rounds; its errors on the latest snapshot are
    the metrics. The deployed model is the mean of two refits with that many rounds, each on the older
    snapshots plus one half of the latest snapshot's customers: it learns from the period closest to the
    customers scored. (On The Complete Journey the selection model alone over-forecast October's spend by
    10%, the refits by 3%.) refit_* metrics: the latest snapshot scored out of sample, each half by the refit
    that did not see it.

    min_delta: the least improvement of the validation metric that counts (in the metric's own unit).
    """
    y_train = train[label].astype(float).clip(lower=0).to_numpy()
    y_valid = valid[label].astype(float).clip(lower=0).to_numpy()
    x_train, x_valid = feature_matrix(train), feature_matrix(valid)
    d_train = xgb.DMatrix(x_train, label=y_train)
    d_valid = xgb.DMatrix(x_valid, label=y_valid)
    stop = xgb.callback.EarlyStopping(rounds=40, min_delta=min_delta)
    booster = xgb.train(params, d_train, num_boost_round=1000, evals=[(d_valid, "valid")], callbacks=[stop],
                        verbose_eval=False)  # fmt: skip
    pred = booster.predict(d_valid, iteration_range=(0, booster.best_iteration + 1))
    half = _holdout_half(valid)
    refits, refit_pred = [], np.zeros(len(valid))
    for seen in (half, ~half):
        rows = xgb.DMatrix(pd.concat([x_train, x_valid[seen]]), label=np.concatenate([y_train, y_valid[seen]]))
        refit = xgb.train(params, rows, booster.best_iteration + 1)
        refit_pred[~seen] = refit.predict(xgb.DMatrix(x_valid[~seen]))
        refits.append(refit)
    actual = float(y_valid.sum())
    metrics = {
        "mae": float(np.abs(pred - y_valid).mean()),
        "rmse": float(np.sqrt(((pred - y_valid) ** 2).mean())),
        "predicted_total": float(pred.sum()),
        "actual_total": actual,
        "total_rel_error": float((pred.sum() - actual) / actual) if actual else math.nan,
        "refit_predicted_total": float(refit_pred.sum()),
        "refit_total_rel_error": float((refit_pred.sum() - actual) / actual) if actual else math.nan,
        "best_iteration": int(booster.best_iteration),
    }
    return booster, tuple(refits), {prefix + key: value for key, value in metrics.items()}


def _train_clv(train: pd.DataFrame, valid: pd.DataFrame) -> tuple[xgb.Booster, tuple[xgb.Booster, ...], dict]:
    """Net spend in the horizon: Tweedie boosting."""
    booster, refits, metrics = _train_regressor(train, valid, "horizon_revenue", CLV_PARAMS)
    return booster, refits, {**metrics, "train_rows": len(train), "n": len(valid)}


def _train_orders(train: pd.DataFrame, valid: pd.DataFrame) -> tuple[xgb.Booster, tuple[xgb.Booster, ...], dict]:
    """Expected number of orders in the horizon: Poisson boosting.

    Poisson boosting creeps: at 100,000 contacts it still gained 1e-5 of log-likelihood a round after 600
    rounds, for no change in RMSE. Rounds that gain less than 1e-4 do not count.
    """
    return _train_regressor(train, valid, "horizon_orders", ORDERS_PARAMS, prefix="orders_", min_delta=1e-4)


def regress(booster: xgb.Booster, refits: tuple[xgb.Booster, ...], matrix: xgb.DMatrix) -> np.ndarray:
    """A regressor's predictions: the mean of its refits, or the selection model for artifacts saved before."""
    if refits:
        return np.mean([refit.predict(matrix) for refit in refits], axis=0)
    return booster.predict(matrix, iteration_range=(0, booster.best_iteration + 1))


def window_to_window_ratio(snapshots: pd.DataFrame) -> float | None:
    """How orders carry on from one label window to the next, for the same customers.

    For each cut-off followed by another exactly one label window later: orders
    of the earlier snapshot's customers in the later window over their orders
    in the earlier window; the mean over such pairs. Below 1 when a cohort buys
    less as it ages. Reading a forecast over a horizon longer than the label
    window needs it.
    """
    by_cutoff = {
        pd.Timestamp(c): (int(f["horizon_days"].iloc[0]), f.set_index("customer_id")["horizon_orders"])
        for c, f in snapshots.groupby("cutoff_at")
    }
    ratios = []
    for early, (days, orders) in sorted(by_cutoff.items()):
        late = by_cutoff.get(early + pd.Timedelta(days=days))
        base = float(orders.sum())
        if late is not None and base > 0:
            ratios.append(float(late[1].reindex(orders.index, fill_value=0).sum()) / base)
    return float(np.mean(ratios)) if ratios else None


def plan_record(choice: SnapshotChoice, plan: dict | None, max_rows: int | None = None,
                max_validation_rows: int | None = None) -> dict:  # fmt: skip
    """What the registry keeps of the training snapshots: the plan they followed and the rows they gave.

    training_rows: the older snapshots' rows (choice.train), as before samples existed; training_sample_rows:
    the rows the models learned from (stratified_sample of them; all of them when they fit under the cap);
    training_sample_max_rows: the cap (var ml_training_max_rows), None when there is none. validation_rows: the
    other snapshot rows; validation_sample_rows: the latest cut-off's rows the models validated on and refitted
    with (all of them under var ml_validation_max_rows, recorded as validation_sample_max_rows).
    """
    keys = choice.keys
    cutoffs = sorted(pd.to_datetime(keys["cutoff_at"]).unique())
    return {
        **(plan or {}),
        "snapshot_count": len(cutoffs),
        "label_days": int(keys["horizon_days"].iloc[0]) if len(keys) else (plan or {}).get("label_days"),
        "training_rows": len(choice.train),
        "validation_rows": len(keys) - len(choice.train),
        "training_sample_rows": len(choice.train_sample),
        "training_sample_max_rows": max_rows,
        "validation_sample_rows": len(choice.valid_sample),
        "validation_sample_max_rows": max_validation_rows,
    }


def train_all(
    snapshots: pd.DataFrame,
    current: pd.DataFrame,
    model_dir: str | Path | ArtifactStore,
    trained_at: str,
    as_of: str,
    plan: dict | None = None,
    gate: GateThresholds | None = None,
    max_training_rows: int | None = None,
    max_validation_rows: int | None = None,
    choice: SnapshotChoice | None = None,
) -> pd.DataFrame:
    """Train propensity, churn, CLV and clusters; save each; return one registry row per model.

    plan: the snapshot plan (int_training_cutoffs_planned), recorded in every predictive model's parameters
    (snapshot_plan) and metrics (snapshot_* figures).
    gate: the quality gate's thresholds (python_udfs/ml/gate.py). A model whose data cannot meet them is not
    trained; a trained model that fails them is saved but not promoted. Both are recorded with
    is_promoted false and a gate_failure_reason that gives the history found and what the model needs.
    max_training_rows: the most training rows (older cut-offs) the predictive models learn from; above it, a
    stratified sample (stratified_sample). Recorded in snapshot_plan and in the metrics
    (training_rows_available, training_sample_rows, training_sample_max_rows).
    max_validation_rows: the most rows of the latest cut-off the models validate on and refit with; above it, a
    stratified sample the same way (recorded as validation_sample_rows, validation_sample_max_rows).
    choice: the rows chosen from the keys of every snapshot row (choose_snapshot_rows), when snapshots holds only
    the chosen rows (ml_predictive_model_runs reads no others); chosen here from snapshots when None.
    current: int_customer_features, at least CURRENT_COLUMNS.
    """
    gate = gate or GateThresholds()
    folder = artifact_store(model_dir)
    if choice is None:
        choice = choose_snapshot_rows(snapshots, max_training_rows, max_validation_rows)
    # the warehouse returns rows in any order; sort so that sampling, and so the models, are reproducible
    snapshots = snapshots.sort_values(["cutoff_at", "customer_id"]).reset_index(drop=True)
    current = current.sort_values("customer_id").reset_index(drop=True)
    history = history_summary(current, choice.keys, plan)
    found = describe_history(history)
    window = _window(choice.keys) if len(choice.keys) else (str(as_of), str(as_of))
    rows = []

    def save(version: str, payload: dict) -> Path | str:
        return save_artifact(folder, version, payload)

    def rejected(name: str, reason: str, metrics: dict) -> dict:
        """The registry row of a model not trained because its data cannot pass the gate."""
        params = {"snapshot_plan": plan or {}, "trained": False}
        version = model_version(name, params, list(FEATURES), window)
        return registry_row(name, version, {**metrics, "history": history}, params, [], {}, window, None,
                            trained_at, as_of, folder, f"{reason}; {found}")  # fmt: skip

    if choice.split_error is not None:
        rows += [rejected(name, f"not trained: {choice.split_error}", {}) for name in ("propensity", "churn", "clv")]
    else:
        snapshot_plan = plan_record(choice, plan, max_training_rows, max_validation_rows)
        plan_metrics = {
            "snapshot_count": snapshot_plan["snapshot_count"],
            "snapshot_step_days": snapshot_plan.get("step_days"),
            "snapshot_label_days": snapshot_plan["label_days"],
            "snapshot_history_days": snapshot_plan.get("history_days"),
            "snapshot_training_rows": snapshot_plan["training_rows"],
            "training_rows_available": snapshot_plan["training_rows"],
            "training_sample_rows": snapshot_plan["training_sample_rows"],
            "training_sample_max_rows": max_training_rows,
            "validation_sample_rows": snapshot_plan["validation_sample_rows"],
            "validation_sample_max_rows": max_validation_rows,
        }
        train, valid = _rows_of(snapshots, choice.train_sample), _rows_of(snapshots, choice.valid_sample)

        def labels(frame: pd.DataFrame, label: str) -> np.ndarray:
            return frame[label].astype(int).to_numpy()

        unfit = classifier_gate(labels(train, "purchased_in_horizon"), labels(valid, "purchased_in_horizon"), gate)
        if unfit:
            rows.append(rejected("propensity", f"not trained: {unfit}", plan_metrics))
        else:
            reference = feature_matrix(valid.sample(n=min(REFERENCE_ROWS, len(valid)), random_state=7))
            propensity = train_classifier(train, valid, "purchased_in_horizon")
            propensity.params["snapshot_plan"] = snapshot_plan
            propensity.metrics.update(plan_metrics)
            version = model_version("propensity", propensity.params, propensity.features, window)
            ref_scores = propensity.predict(valid.loc[reference.index])
            path = save(version, {"model": propensity, "reference": reference, "reference_scores": ref_scores})
            failed = classifier_gate(labels(train, "purchased_in_horizon"), labels(valid, "purchased_in_horizon"),
                                     gate, propensity.metrics.get("auc"), ref_scores)  # fmt: skip
            rows.append(registry_row("propensity", version, propensity.metrics, propensity.params,
                                     propensity.features, propensity.importance, window, path, trained_at, as_of,
                                     folder, failed and f"{failed}; {found}"))  # fmt: skip

        buyers_train, buyers_valid = train[train["order_count"] > 0], valid[valid["order_count"] > 0]
        unfit = classifier_gate(labels(buyers_train, "churned_in_horizon"),
                                labels(buyers_valid, "churned_in_horizon"), gate)  # fmt: skip
        if unfit:
            rows.append(rejected("churn", f"not trained: among past buyers, {unfit}", plan_metrics))
        else:
            churn = train_classifier(buyers_train, buyers_valid, "churned_in_horizon", recency_sign=1)
            churn.params["snapshot_plan"] = snapshot_plan
            churn.metrics.update(plan_metrics)
            version = model_version("churn", churn.params, churn.features, window)
            path = save(version, {"model": churn})
            failed = classifier_gate(labels(buyers_train, "churned_in_horizon"),
                                     labels(buyers_valid, "churned_in_horizon"), gate, churn.metrics.get("auc"),
                                     churn.predict(buyers_valid))  # fmt: skip
            rows.append(registry_row("churn", version, churn.metrics, churn.params, churn.features,
                                     churn.importance, window, path, trained_at, as_of, folder,
                                     failed and f"among past buyers, {failed}; {found}"))  # fmt: skip

        orders_train, orders_valid = train["horizon_orders"].to_numpy(), valid["horizon_orders"].to_numpy()
        unfit = regression_gate(orders_train, orders_valid, gate)
        if unfit:
            rows.append(rejected("clv", f"not trained: {unfit}", plan_metrics))
        else:
            clv, clv_refits, clv_metrics = _train_clv(train, valid)
            orders, orders_refits, orders_metrics = _train_orders(train, valid)
            clv_metrics.update(orders_metrics)
            clv_metrics["orders_window_ratio"] = window_to_window_ratio(choice.keys)
            clv_metrics.update(plan_metrics)
            importance = gain_importance([clv])
            clv_params = {**CLV_PARAMS, "orders_model": ORDERS_PARAMS, "refit": "cross-fitted on the latest snapshot",
                          "snapshot_plan": snapshot_plan}  # fmt: skip
            version = model_version("clv", clv_params, list(feature_matrix(valid.head(1)).columns), window)
            path = save(version, {"model": clv, "orders": orders, "refits": clv_refits,
                                  "orders_refits": orders_refits})  # fmt: skip
            predicted = regress(orders, orders_refits, xgb.DMatrix(feature_matrix(valid)))
            failed = regression_gate(orders_train, orders_valid, gate, predicted)
            rows.append(registry_row("clv", version, clv_metrics, clv_params, list(importance), importance, window,
                                     path, trained_at, as_of, folder, failed and f"{failed}; {found}"))  # fmt: skip

    cluster_window = (str(as_of), str(as_of))
    if len(current) <= DEFAULT_K_RANGE.start:
        version = model_version("clusters", {"trained": False}, CLUSTER_FEATURES, cluster_window)
        reason = f"not trained: {len(current)} customers (needs more than {DEFAULT_K_RANGE.start}); {found}"
        rows.append(registry_row("clusters", version, {"history": history}, {"trained": False}, CLUSTER_FEATURES,
                                 {}, cluster_window, None, trained_at, as_of, folder, reason))  # fmt: skip
        return registry_frame(rows)
    clusters = fit_clusters(current)
    version = model_version("clusters", {"k": clusters.metrics["k"]}, CLUSTER_FEATURES, cluster_window)
    path = save(version, {"model": clusters})
    k_range = {"k_range": f"{DEFAULT_K_RANGE.start}-{DEFAULT_K_RANGE.stop - 1}"}
    failed = clusters_gate(clusters.assign(current)["cluster_segment"])
    rows.append(registry_row("clusters", version, clusters.metrics, k_range, CLUSTER_FEATURES, {},
                              cluster_window, path, trained_at, as_of, folder, failed))  # fmt: skip
    return registry_frame(rows)


NO_MODEL_REASON = "no_promoted_model"


def score_all(
    current: pd.DataFrame, registry: pd.DataFrame, horizon_days: int, model_dir: str | Path | ArtifactStore,
    gate: GateThresholds | None = None,
) -> pd.DataFrame:  # fmt: skip
    """score_batches over one batch: every customer of current at once (tests, small warehouses)."""
    return score_batches([current], registry, horizon_days, model_dir, gate)


def score_batches(
    batches: Iterable[pd.DataFrame], registry: pd.DataFrame, horizon_days: int,
    model_dir: str | Path | ArtifactStore, gate: GateThresholds | None = None, kept: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Score every customer with the current version of each model (its last promoted run), loaded from model_dir.

    The customers come in batches (frames of int_customer_features), so memory holds one batch of features and
    the scores, not every customer's features at once. Each score depends on its own customer only, but for
    propensity_decile, ranked over every customer once all batches are scored: the result does not depend on
    how the customers were batched.

    A newer run that failed its quality gate is skipped: is_fallback says the customer was scored with an older
    version, scoring_note which run was rejected and why, scored_with_versions which version of each model
    scored. Nobody is scored with a model that never passed its gate:
    - propensity (the score every tier and audience reads): raises NoPromotedModelError with the history found,
      what each model needs and what to do;
    - churn, clv, clusters: their columns are null (churn_risk_reason no_promoted_model for past buyers) and
      scoring_note says why, so the rest still scores.

    kept: rows this function made before for other customers, with the same registry (python_udfs/ml/
    rescoring.py): they join the new ones unchanged, and the deciles are ranked over all of them.
    """
    runs = current_runs(registry)
    needs = (gate or GateThresholds()).needs()
    if "propensity" not in runs or runs["propensity"]["current"] is None:
        require_current(runs, PREDICTIVE_MODELS, needs)
    scoring = [name for name in PREDICTIVE_MODELS if name in runs and runs[name]["current"] is not None]
    load = {name: load_artifact(runs[name]["current"], model_dir) for name in scoring}
    notes = [runs[name]["note"] for name in scoring if runs[name]["note"]]
    for name in PREDICTIVE_MODELS:
        if name not in scoring:
            latest = runs.get(name, {}).get("latest")
            why = (
                f"latest run {latest['model_version']}: {latest.get('gate_failure_reason')}"
                if latest
                else "never trained"
            )
            notes.append(f"{name}: no version has passed its quality gate ({why}); its scores are null")
    constants = {
        "model_version": runs["propensity"]["current"]["model_version"],
        "scored_with_versions": versions_json(runs, PREDICTIVE_MODELS),
        "is_fallback": any(runs[name]["is_fallback"] for name in scoring),
        "scoring_note": " | ".join(notes) if notes else None,
    }
    parts = [_score_batch(batch, load, horizon_days, constants) for batch in batches if kept is None or len(batch)]
    if kept is not None and len(kept):
        parts.append(_like(kept.drop(columns="propensity_decile"), parts[0] if parts else None))
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    out.insert(2, "propensity_decile", deciles(out["purchase_propensity"].to_numpy()))
    return out


def _like(kept: pd.DataFrame, scored: pd.DataFrame | None) -> pd.DataFrame:
    """Rows read back from the table, in the columns and types _score_batch makes (dates as dates)."""
    kept = kept.copy()
    kept["expected_next_order_date"] = pd.to_datetime(kept["expected_next_order_date"]).dt.date
    if scored is None:
        return kept
    kept = kept[[name for name in scored.columns if name in kept.columns]]
    for name in kept.columns:
        if scored[name].dtype != object and kept[name].dtype != scored[name].dtype:
            kept[name] = kept[name].astype(scored[name].dtype)
    return kept


def _score_batch(current: pd.DataFrame, load: dict, horizon_days: int, constants: dict) -> pd.DataFrame:
    """score_batches' columns for one batch of customers, all but propensity_decile."""
    out = pd.DataFrame({"customer_id": current["customer_id"].to_numpy()}, index=current.index)
    # each row's features depend on that row only: made once for every model (three times took about 2 s of
    # the scoring at 1,000,000 contacts)
    features = feature_matrix(current)
    out["purchase_propensity"] = load["propensity"]["model"].predict_features(features)
    buyers = current["order_count"].fillna(0).to_numpy() > 0
    if "churn" in load:
        # scored for past buyers only (each row's score depends on that row): at 1,000,000 contacts 44% of the
        # customers, and the churn boosters were about a quarter of the scoring's prediction time
        churn = np.full(len(current), np.nan)
        if buyers.any():
            churn[buyers] = load["churn"]["model"].predict_features(features[buyers])
        out["churn_risk"] = churn
        out["churn_risk_reason"] = np.where(buyers, None, "never_bought")
    else:
        out["churn_risk"] = np.nan
        out["churn_risk_reason"] = np.where(buyers, NO_MODEL_REASON, "never_bought")
    if "clv" in load:
        clv = load["clv"]
        matrix = xgb.DMatrix(features)
        out["predicted_clv"] = regress(clv["model"], clv.get("refits", ()), matrix)
        out["predicted_orders"] = regress(clv["orders"], clv.get("orders_refits", ()), matrix)
    else:
        out["predicted_clv"] = out["predicted_orders"] = np.nan
    # orders arrive at the predicted rate: expected wait = horizon / expected orders in the horizon
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = np.where(out["predicted_orders"] > 0, horizon_days / out["predicted_orders"], np.inf)
    as_of = pd.to_datetime(current["cutoff_at"]).dt.normalize()
    reachable = wait <= 730
    out["expected_next_order_date"] = (
        (as_of + pd.to_timedelta(np.where(reachable, wait, 0), unit="D")).where(reachable).dt.date
    )
    if "clusters" in load:
        clusters = load["clusters"]["model"].assign(current)
        out["cluster_segment"] = clusters["cluster_segment"].to_numpy()
        out["is_cluster_outlier"] = clusters["is_cluster_outlier"].to_numpy()
    else:
        out["cluster_segment"] = pd.Series(None, index=out.index, dtype="string")
        out["is_cluster_outlier"] = pd.Series(None, index=out.index, dtype="boolean")
    out["model_version"] = constants["model_version"]
    out["scored_with_versions"] = constants["scored_with_versions"]
    out["is_fallback"] = constants["is_fallback"]
    out["scoring_note"] = pd.Series(constants["scoring_note"], index=out.index, dtype="string")
    return out


def drift(
    current: pd.DataFrame,
    registry: pd.DataFrame,
    scores: pd.Series,
    scored_at: str,
    model_dir: str | Path | ArtifactStore,
) -> pd.DataFrame:
    """PSI of each feature and of the score against the current propensity model's training reference."""
    runs = current_runs(registry)
    require_current(runs, ("propensity",))
    propensity = runs["propensity"]["current"]
    artifact = load_artifact(propensity, model_dir)
    reference, x = artifact["reference"], feature_matrix(current)
    rows = [
        {"feature": name, "psi": population_stability_index(reference[name].to_numpy(), x[name].to_numpy())}
        for name in reference.columns
    ]
    rows.append({"feature": "purchase_propensity",
                 "psi": population_stability_index(artifact["reference_scores"], scores.to_numpy())})  # fmt: skip
    out = pd.DataFrame(rows)
    out["model_version"] = propensity["model_version"]
    out["scored_at"] = scored_at
    out["drift_level"] = np.select([out["psi"] >= 0.25, out["psi"] >= 0.1], ["major", "moderate"], "stable")
    return out
