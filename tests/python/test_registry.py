"""The model registry (python_udfs/registry.py): versions, files and rows stay what earlier releases wrote."""

import joblib
import pandas as pd
import pytest

from python_udfs.recs.engine import Params
from python_udfs.registry import (
    NoPromotedModelError,
    current_model,
    model_version,
    registry_frame,
    registry_row,
    save_artifact,
)

WINDOW = ("2026-05-01 00:00:00", "2026-06-01 00:00:00")


def test_versions_are_the_ones_earlier_releases_gave():
    # written by the release before the registry module (propensity.model_version, recs Params.version)
    assert model_version("propensity", {"a": 1}, ["x"], WINDOW) == "propensity-f093027aa698"
    assert Params().version(WINDOW) == "recommendations-4f261d641714"
    assert Params(top_n=8).version(WINDOW) == "recommendations-7596d0c3af46"


def _row(version, path, trained_at, model_dir, failed=None):
    return registry_row("recommendations", version, {"ndcg@10": 0.3}, {"top_n": 10}, ["purchase"], {}, WINDOW,
                        path, trained_at, WINDOW[1], model_dir, failed)  # fmt: skip


def test_a_saved_model_is_recorded_relative_and_the_last_promoted_one_loads(tmp_path):
    path = save_artifact(tmp_path, "recommendations-aaa", {"model": {"weights": [1, 2]}})
    assert path == tmp_path / "recommendations-aaa.joblib"
    rejected = save_artifact(tmp_path, "recommendations-bbb", {"model": "worse"})
    registry = registry_frame([
        _row("recommendations-aaa", path, "2026-06-01 06:00:00", tmp_path),
        _row("recommendations-bbb", rejected, "2026-06-08 06:00:00", tmp_path, "below popularity"),
    ])  # fmt: skip
    assert registry["artifact_path"].tolist() == ["recommendations-aaa.joblib", "recommendations-bbb.joblib"]
    run, saved = current_model(registry, "recommendations", tmp_path)
    assert saved == {"model": {"weights": [1, 2]}}
    assert run["is_fallback"]
    assert "below popularity" in run["note"]


def test_a_model_saved_by_an_earlier_release_with_an_absolute_path_still_loads(tmp_path):
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    joblib.dump({"model": "fitted"}, new_dir / "recommendations-ccc.joblib")  # the folder moved since
    row = _row("recommendations-ccc", None, "2026-06-01 06:00:00", old_dir)
    row["artifact_path"] = str(old_dir / "recommendations-ccc.joblib")
    registry = pd.DataFrame([row]).drop(columns=["is_promoted", "gate_failure_reason"])  # before the gate
    _, saved = current_model(registry, "recommendations", new_dir)
    assert saved == {"model": "fitted"}


def test_no_promoted_version_is_refused(tmp_path):
    registry = registry_frame([_row("recommendations-ddd", None, "2026-06-01 06:00:00", tmp_path, "empty")])
    with pytest.raises(NoPromotedModelError, match="recommendations: latest run recommendations-ddd"):
        current_model(registry, "recommendations", tmp_path)
