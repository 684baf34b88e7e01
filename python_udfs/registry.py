"""The model registry: how every trained model is versioned, saved, recorded and loaded again.

One module for the predictive models (python_udfs/ml/training.py) and the
recommender (python_udfs/recs/training.py), so both write the same registry
row and the same file layout, and scoring finds either the same way.

- Versions: `<name>-<12 hex digits>`, a hash of what makes the model
  (parameters, features, training window), so a retrain on the same data with
  the same settings gets the same version.
- Files: one joblib file per version, `<model_dir>/<version>.joblib` (the
  project's MODEL_DIR), holding a dict whose "model" key is the fitted model.
  model_dir is a folder or an artifact store (python_udfs/dbt_io.py: a
  Databricks volume is a folder, a Snowflake stage a store of its own).
- Rows: registry_row() gives one row of ml_model_runs per model and retrain;
  artifact_path is stored relative to MODEL_DIR, so the folder of models can
  move (another machine, a new mount) and scoring still finds them. Rows
  written before that kept absolute paths; they still load.
- Loading: the version that scores a model is its last run that passed its
  quality gate (python_udfs/ml/gate.py) and has a saved file; current_runs()
  says which, and whether a newer run was rejected.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from pathlib import Path

import joblib
import pandas as pd

from python_udfs.dbt_io import ArtifactStore, LocalFolderStore, artifact_store

# text columns that may be missing on every row of an append; the warehouse must still type them as text
REGISTRY_TEXT_COLUMNS = ("artifact_path", "gate_failure_reason")

WHAT_TO_DO = (
    "set var as_of_date later (at least two label windows after the first orders), or load more order history "
    "and customers, then retrain (dbt build, or dbt build --selector weekly_retrain)"
)
NO_REGISTRY = (
    "The model registry (ml_model_runs) is not in this warehouse yet: the score_only job scores with models "
    "trained earlier and trains none. Run the full build once first (dbt build, or dbt build --selector "
    "weekly_retrain), then schedule score_only."
)


# --- versions


def hashed_version(name: str, payload: dict) -> str:
    """`<name>-<12 hex digits>`: a short hash of payload (JSON, keys sorted)."""
    blob = json.dumps(payload, sort_keys=True)
    return f"{name}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def model_version(name: str, params: dict, features: list[str], window: tuple[str, str]) -> str:
    """A short hash of what makes the model: its name, parameters, features and training data window."""
    return hashed_version(name, {"name": name, "params": params, "features": features, "window": window})


# --- files


def relative_artifact_path(path: str | Path, model_dir: str | Path | ArtifactStore) -> str:
    """The path to store for an artifact saved under model_dir: relative to it (POSIX form).

    A file outside model_dir keeps its absolute path. model_dir may be any artifact store
    (python_udfs/dbt_io.py); a stage records the file's key.
    """
    return artifact_store(model_dir).recorded_path(path)


def resolve_artifact_path(stored: str | Path, model_dir: str | Path) -> Path:
    """The file a registry row's artifact_path names, given today's model_dir (a folder).

    Relative paths (new rows) are under model_dir. Absolute paths (older rows)
    are used as they are while they exist; once model_dir has moved, the file of
    the same name under model_dir is used instead.
    """
    folder = LocalFolderStore(model_dir)
    return folder.path(folder.key_of(stored))


def save_artifact(model_dir: str | Path | ArtifactStore, version: str, payload: dict) -> Path | str:
    """Save payload (a dict; "model" is the fitted model) as <version>.joblib in model_dir; what was saved.

    model_dir is a folder (the file's path is returned) or any artifact store of python_udfs/dbt_io.py.
    """
    buffer = io.BytesIO()
    joblib.dump(payload, buffer)
    return artifact_store(model_dir).save_bytes(f"{version}.joblib", buffer.getvalue())


def load_artifact(run: dict, model_dir: str | Path | ArtifactStore) -> dict:
    """The saved payload of a registry row (a dict with its artifact_path), found in today's model_dir."""
    store = artifact_store(model_dir)
    return joblib.load(io.BytesIO(store.load_bytes(store.key_of(run["artifact_path"]))))


# --- rows


def registry_row(
    name, version, metrics, params, features, importance, window, path, trained_at, as_of, model_dir,
    gate_failure_reason: str | None = None,
) -> dict:  # fmt: skip
    """One row of the model registry; artifact_path is stored relative to model_dir (MODEL_DIR).

    gate_failure_reason: why the run failed its quality gate (python_udfs/ml/gate.py); such a run is recorded
    with is_promoted false and never scores. path is None for a run rejected before training.
    """
    return {
        "run_id": f"{version}@{trained_at}",
        "model_name": name,
        "model_version": version,
        "trained_at": trained_at,
        "as_of_at": as_of,
        "training_window_start": window[0],
        "training_window_end": window[1],
        "parameters": json.dumps(params, sort_keys=True, default=str),
        "features": json.dumps(features),
        "metrics": json.dumps(metrics, sort_keys=True, default=str),
        "auc": metrics.get("auc"),
        "log_loss": metrics.get("log_loss"),
        "brier": metrics.get("brier"),
        "calibration_error": metrics.get("calibration_error"),
        "recency_baseline_auc": metrics.get("recency_baseline_auc"),
        "feature_importance": json.dumps(importance),
        "artifact_path": None if path is None else relative_artifact_path(path, model_dir),
        "is_promoted": gate_failure_reason is None,
        "gate_failure_reason": gate_failure_reason,
    }


def registry_frame(rows: list[dict]) -> pd.DataFrame:
    """Registry rows as a frame whose optional text columns stay text when every value is missing.

    A column of Nones would reach the warehouse typed by a guess; the next append of a reason would not fit.
    """
    out = pd.DataFrame(rows)
    for name in REGISTRY_TEXT_COLUMNS:
        out[name] = out[name].astype("string")
    out["is_promoted"] = out["is_promoted"].astype(bool)
    return out


# --- which version scores


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def current_runs(registry: pd.DataFrame) -> dict[str, dict]:
    """Per model: the run that scores (its last promoted run) and its latest run.

    Rows recorded before the gate existed (is_promoted null) count as promoted. A run without an artifact
    (rejected before training) can never score. Returns {model_name: {"current": row or None, "latest": row,
    "is_fallback": bool, "note": str or None}}.
    """
    out: dict[str, dict] = {}
    if registry.empty:
        return out
    frame = registry.copy()
    if "is_promoted" not in frame:
        frame["is_promoted"] = None
    if "gate_failure_reason" not in frame:
        frame["gate_failure_reason"] = None
    frame["_usable"] = frame["is_promoted"].map(lambda v: True if _is_missing(v) else bool(v))
    frame["_usable"] &= frame["artifact_path"].notna()
    for name, runs in frame.sort_values("trained_at", kind="stable").groupby("model_name", sort=False):
        latest = runs.iloc[-1].to_dict()
        usable = runs[runs["_usable"]]
        current = usable.iloc[-1].to_dict() if len(usable) else None
        is_fallback = current is not None and current["run_id"] != latest["run_id"]
        note = None
        if is_fallback:
            note = (
                f"{name}: run {latest['model_version']} trained {latest['trained_at']} was not promoted "
                f"({latest.get('gate_failure_reason') or 'quality gate failed'}); scored with "
                f"{current['model_version']} trained {current['trained_at']}"
            )
        out[str(name)] = {"current": current, "latest": latest, "is_fallback": is_fallback, "note": note}
    return out


class NoPromotedModelError(RuntimeError):
    """No version of a model has passed its quality gate: scoring it would score everyone with a degenerate model."""


def require_current(runs: dict[str, dict], names: tuple[str, ...], thresholds_needs: str | None = None) -> None:
    """Raise NoPromotedModelError naming each model without a promoted version, its last rejection and what to do."""
    missing = [name for name in names if name not in runs or runs[name]["current"] is None]
    if not missing:
        return
    lines = []
    for name in missing:
        if name not in runs:
            lines.append(f"- {name}: never trained in this warehouse")
        else:
            latest = runs[name]["latest"]
            lines.append(
                f"- {name}: latest run {latest['model_version']} trained {latest['trained_at']} was rejected: "
                f"{latest.get('gate_failure_reason') or 'no artifact'}"
            )
    raise NoPromotedModelError(
        "No version of " + ", ".join(missing) + " has passed its quality gate (ml_model_runs.is_promoted), so "
        "nothing is scored with a degenerate model.\n" + "\n".join(lines) + "\n"
        + (f"What each model needs: {thresholds_needs}.\n" if thresholds_needs else "")
        + f"What to do: {WHAT_TO_DO}."
    )  # fmt: skip


def registry_text(registry: pd.DataFrame) -> str:
    """The registry's rows as text in a stable order, whatever order they were read in: what the rescoring
    digests hash, so that any new run (a retrain, even one that failed its gate) changes them."""
    return registry.astype(str).sort_values(list(registry.columns), kind="stable").to_csv(index=False)


def current_model(registry: pd.DataFrame, name: str, model_dir: str | Path | ArtifactStore) -> tuple[dict, dict]:
    """(runs entry of current_runs, saved payload) of the version of `name` that scores.

    Raises NoPromotedModelError when no version of it has passed its quality gate.
    """
    runs = current_runs(registry)
    require_current(runs, (name,))
    return runs[name], load_artifact(runs[name]["current"], model_dir)


def versions_json(runs: dict[str, dict], names: tuple[str, ...]) -> str:
    """{model_name: model_version} of the versions that scored, JSON (null for a model with no promoted version)."""
    versions = {name: (runs[name]["current"] or {}).get("model_version") if name in runs else None for name in names}
    return json.dumps(versions, sort_keys=True)


def raise_if_no_registry(error: Exception) -> None:
    """Raise the NO_REGISTRY message when error is the engine's "<registry> does not exist"; else return.

    The scoring steps read the registries (ml_predictive_model_runs, ml_recommender_runs), which only a
    retrain creates.

    The caller re-raises any other error as it is.
    """
    # DuckDB and Snowflake: "... does not exist"; Spark and Databricks: [TABLE_OR_VIEW_NOT_FOUND]
    if any(words in str(error) for words in ("does not exist", "TABLE_OR_VIEW_NOT_FOUND")):
        raise RuntimeError(NO_REGISTRY) from error
