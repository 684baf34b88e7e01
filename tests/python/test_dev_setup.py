"""The development setup keeps its promises: runtime and dev requirements are
separate, pre-commit's hooks use the versions requirements-dev.txt pins, `make`
lists every target, python_udfs imports without PYTHONPATH, dbt's user file is
never committed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEV_TOOLS = {"pytest", "statsmodels", "ruff", "sqlfluff", "sqlfluff-templater-dbt", "pre-commit"}


def pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line (names normalised as pip does)."""
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s#]+)", line)
        if match:
            found[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return found


def test_runtime_requirements_hold_no_dev_tools_and_dev_requirements_add_them():
    runtime = pins(PROJECT_DIR / "requirements.txt")
    dev_file = PROJECT_DIR / "requirements-dev.txt"
    dev = pins(dev_file)
    assert "dbt-core" in runtime
    assert not DEV_TOOLS & runtime.keys()
    assert dev.keys() >= DEV_TOOLS
    assert not runtime.keys() & dev.keys(), "a package is pinned in both files"
    assert "-r requirements.txt" in dev_file.read_text().splitlines()


def test_pre_commit_hooks_use_the_pinned_versions():
    config = yaml.safe_load((PROJECT_DIR / ".pre-commit-config.yaml").read_text())
    dev = pins(PROJECT_DIR / "requirements-dev.txt")
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert hooks.keys() >= {"ruff", "ruff-format", "check-yaml", "sqlfluff-lint"}
    for hook_id in ("ruff", "ruff-format"):
        assert hooks[hook_id]["additional_dependencies"] == [f"ruff=={dev['ruff']}"]
    assert ".venv/bin/sqlfluff lint" in hooks["sqlfluff-lint"]["entry"]


def test_make_alone_lists_every_target_with_its_description():
    makefile = (PROJECT_DIR / "Makefile").read_text()
    phony = set(re.search(r"^\.PHONY: (.+)$", makefile, re.MULTILINE)[1].split())
    listed = subprocess.run(
        ["make", "--no-print-directory", "-s"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout
    described = {line.split()[0] for line in listed.splitlines() if len(line.split()) > 1}
    assert described == phony


def test_python_udfs_imports_without_pythonpath(tmp_path):
    env = {"PATH": "/usr/bin:/bin"}
    found = subprocess.run(
        [sys.executable, "-c", "import python_udfs; print(python_udfs.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(found).parent.parent == PROJECT_DIR


def test_dbt_user_file_is_ignored():
    assert ".user.yml" in (PROJECT_DIR / ".gitignore").read_text().splitlines()
