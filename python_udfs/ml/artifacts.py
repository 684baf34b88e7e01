"""Where a registered model's file is: stored relative to MODEL_DIR, found again under it.

The registry (ml_model_runs) keeps artifact_path relative to MODEL_DIR, so the
folder of models can move (another machine, a new mount) and scoring still
finds them. Rows written before that kept absolute paths; they still load.
"""

from __future__ import annotations

from pathlib import Path


def relative_artifact_path(path: str | Path, model_dir: str | Path) -> str:
    """The path to store for an artifact saved under model_dir: relative to it (POSIX form).

    A file outside model_dir keeps its absolute path.
    """
    path, folder = Path(path).absolute(), Path(model_dir).absolute()
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return str(path)


def resolve_artifact_path(stored: str | Path, model_dir: str | Path) -> Path:
    """The file a registry row's artifact_path names, given today's model_dir.

    Relative paths (new rows) are under model_dir. Absolute paths (older rows)
    are used as they are while they exist; once model_dir has moved, the file of
    the same name under model_dir is used instead.
    """
    stored, folder = Path(stored), Path(model_dir)
    if not stored.is_absolute():
        return folder / stored
    if stored.exists():
        return stored
    return folder / stored.name
