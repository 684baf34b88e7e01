"""Registry artifact paths: stored relative to MODEL_DIR, resolved against it, old absolute rows still load."""

from pathlib import Path

from python_udfs.registry import relative_artifact_path, resolve_artifact_path


def test_a_saved_model_is_stored_relative_to_model_dir(tmp_path):
    assert relative_artifact_path(tmp_path / "propensity-abc.joblib", tmp_path) == "propensity-abc.joblib"
    assert relative_artifact_path(tmp_path / "sub" / "m.joblib", tmp_path) == "sub/m.joblib"


def test_a_file_outside_model_dir_keeps_its_absolute_path(tmp_path):
    outside = tmp_path / "elsewhere" / "m.joblib"
    assert relative_artifact_path(outside, tmp_path / "models") == str(outside)


def test_a_relative_path_resolves_under_todays_model_dir(tmp_path):
    moved = tmp_path / "new home"
    assert resolve_artifact_path("propensity-abc.joblib", moved) == moved / "propensity-abc.joblib"
    assert resolve_artifact_path("sub/m.joblib", str(moved)) == moved / "sub" / "m.joblib"


def test_an_old_absolute_path_that_exists_is_used_as_it_is(tmp_path):
    old = tmp_path / "old" / "churn-1.joblib"
    old.parent.mkdir()
    old.write_bytes(b"x")
    assert resolve_artifact_path(str(old), tmp_path / "new") == old


def test_an_old_absolute_path_after_model_dir_moved_is_found_in_the_new_one(tmp_path):
    gone = Path("/nonexistent/models/churn-1.joblib")
    assert resolve_artifact_path(str(gone), tmp_path) == tmp_path / "churn-1.joblib"


def test_moving_model_dir_keeps_a_round_trip(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    stored = relative_artifact_path(first / "clv-9.joblib", first)
    assert resolve_artifact_path(stored, second) == second / "clv-9.joblib"
