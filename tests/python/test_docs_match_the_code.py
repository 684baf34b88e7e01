"""The README and docs/*.md name only things that exist: make targets, repository
paths, dbt vars, models, and the files and headings their links point at.

Fast: it reads text files (Makefile, dbt_project.yml, the models folder), never
builds. What counts as a name is deliberately narrow (code spans and fenced code,
where the docs name things), so that a typo fails and prose does not.
"""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(?<!`)`([^`]+)`(?!`)")
# a repository path: one of the project's top-level folders, then anything up to whitespace or quoting
REPO_PATH = re.compile(
    r"(?<![\w./$-])((?:models|macros|scripts|seeds|python_udfs|tests|docs|analyses|benchmarks)/[^\s`'\"(),;|]*)"
)
MAKE = re.compile(r"(?:^|[\s;&|(])make\s+([a-z][a-z0-9_-]*)", re.MULTILINE)
MODEL_PREFIXES = ("stg", "base", "int", "dim", "fct", "rpt", "sync", "audit", "ml")
MODEL_NAME = re.compile(r"(?<![\w*/])((?:" + "|".join(MODEL_PREFIXES) + r")_[a-z0-9_*]*[a-z0-9*])")
# schemas a model may be qualified with in the docs (`audit.audit_rejected_rows`)
SCHEMAS = {"main", "staging", "intermediate", "audit", "exports", "exports_pending", "seeds"}
VAR_AFTER_WORD = re.compile(r"\bvars?\s+`([a-z_][a-z0-9_*]*)`")
VAR_BEFORE_WORD = re.compile(r"`([a-z_][a-z0-9_*]*)`\s+vars?\b")
VAR_CALL = re.compile(r"\bvar\(\s*['\"]([a-z_][a-z0-9_]*)['\"]")
DBT_VARS_JSON = re.compile(r"(?:DBT_VARS=|--vars\s+)'(\{.*?\})'")
MD_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def fenced_blocks(text: str) -> list[str]:
    return FENCE.findall(text)


def without_fences(text: str) -> str:
    return FENCE.sub("", text)


def code_spans(text: str) -> list[str]:
    """Inline code of the prose (a span may wrap a line), then every fenced block whole."""
    return CODE_SPAN.findall(without_fences(text)) + fenced_blocks(text)


@cache
def make_targets() -> frozenset[str]:
    targets = set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.%-][A-Za-z0-9_.% -]*?)\s*:(?![:=])", line)
        if m and not line.startswith("\t"):
            targets.update(m.group(1).split())
    return frozenset(t for t in targets if not t.startswith("."))


@cache
def model_names() -> frozenset[str]:
    return frozenset(p.stem for p in (ROOT / "models").rglob("*") if p.suffix in (".sql", ".py"))


@cache
def declared_vars() -> frozenset[str]:
    """Vars in dbt_project.yml, and vars the project reads with a default (`var('raw_database', none)`)."""
    names = set((yaml.safe_load((ROOT / "dbt_project.yml").read_text()).get("vars") or {}).keys())
    for folder in ("models", "macros", "tests", "analyses"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".sql", ".yml", ".py"):
                names.update(re.findall(r"\bvar\(\s*['\"]([a-z_][a-z0-9_]*)['\"]\s*,", path.read_text()))
    return frozenset(names)


def exists_or_matches(name: str, known: frozenset[str]) -> bool:
    return any(fnmatchcase(k, name) for k in known) if "*" in name else name in known


@cache
def macro_literals() -> frozenset[str]:
    """Quoted words in macros/: the suffixes the macros give a model's helper tables (`'__' ~ 'state'`)."""
    text = "".join(p.read_text() for p in (ROOT / "macros").rglob("*.sql"))
    return frozenset(w.removeprefix("__") for w in re.findall(r"'([a-z_]+)'", text))


def model_or_helper_table(name: str) -> bool:
    """A model, or a helper table a macro makes beside one: `<model>__<suffix>` (state, change log)."""
    if exists_or_matches(name, model_names()):
        return True
    model, _, suffix = name.partition("__")
    return bool(suffix) and model in model_names() and suffix in macro_literals()


# ---------------------------------------------------------------- what the pages name


def named_make_targets(text: str) -> set[str]:
    return {t for span in code_spans(text) for t in MAKE.findall(span)}


def named_paths(text: str) -> set[str]:
    found = set()
    for span in code_spans(text):
        for raw in REPO_PATH.findall(span):
            path = raw.rstrip(".:")
            if path.endswith("/..."):  # "models/..." means the folder
                path = path[: -len("/...")]
            found.add(path)
    return found


def path_exists(path: str) -> bool:
    pattern = re.sub(r"<[^>]+>", "*", path).rstrip("/")
    if "*" in pattern:
        return any(ROOT.glob(pattern))
    return (ROOT / pattern).exists()


def named_vars(text: str) -> set[str]:
    names = set(VAR_AFTER_WORD.findall(text)) | set(VAR_BEFORE_WORD.findall(text)) | set(VAR_CALL.findall(text))
    for blob in DBT_VARS_JSON.findall(text):
        names.update(re.findall(r'"([a-z_][a-z0-9_]*)"\s*:', blob))
    # markdown tables whose first header cell is "var": every code span of the first column
    for table in re.findall(r"^\| var \|.*?(?=^[^|]|\Z)", text, re.MULTILINE | re.DOTALL):
        for row in table.splitlines()[2:]:
            names.update(CODE_SPAN.findall(row.split("|")[1]))
    return names


def named_models(text: str) -> set[str]:
    names = set()
    for span in code_spans(text):
        for m in MODEL_NAME.finditer(span):
            before = span[: m.start()]
            if before.endswith("."):
                # `model.column` names a column; `schema.model` names a model
                qualifier = re.search(r"(\w+)\.$", before)
                if not qualifier or qualifier.group(1) not in SCHEMAS:
                    continue
            if before.endswith("var('") or span[m.end() : m.end() + 1] == "(":
                continue  # a var or a macro call, not a model
            names.add(m.group(1))
    # vars share the prefixes (`ml_gate_min_auc`); they are checked as vars, not as models
    return {n for n in names if n not in declared_vars()}


def anchors(page: Path) -> set[str]:
    """GitHub's heading ids: lowercase, punctuation dropped, spaces to hyphens, repeats numbered."""
    seen: dict[str, int] = {}
    out = set()
    for heading in HEADING.findall(without_fences(page.read_text())):
        slug = re.sub(r"[^\w\- ]", "", heading.replace("`", "").strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def broken_links(text: str, page: Path) -> list[str]:
    """Relative links of `text` (written in `page`) whose file, or whose heading in a .md file, is missing."""
    broken = []
    for target in MD_LINK.findall(without_fences(text)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists() or (anchor and dest.suffix == ".md" and anchor not in anchors(dest)):
            broken.append(target)
    return broken


# ---------------------------------------------------------------- the tests


def test_there_are_pages_to_check():
    names = {page_id(p) for p in PAGES}
    assert {"README.md", "docs/exports.md", "docs/operations.md"} <= names
    readme = (ROOT / "README.md").read_text()
    # the two commands are the contract with users
    assert {"demo", "test"} <= named_make_targets(readme)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_make_target_named_exists(page):
    missing = sorted(named_make_targets(page.read_text()) - make_targets())
    assert not missing, f"{page_id(page)} names make targets the Makefile lacks: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_repository_path_named_exists(page):
    missing = sorted(p for p in named_paths(page.read_text()) if not path_exists(p))
    assert not missing, f"{page_id(page)} names paths that do not exist: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_var_named_is_a_dbt_var(page):
    missing = sorted(v for v in named_vars(page.read_text()) if not exists_or_matches(v, declared_vars()))
    assert not missing, f"{page_id(page)} names vars dbt_project.yml does not declare: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_model_named_exists(page):
    missing = sorted(m for m in named_models(page.read_text()) if not model_or_helper_table(m))
    assert not missing, f"{page_id(page)} names models that are not in models/: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_resolves(page):
    broken = broken_links(page.read_text(), page)
    assert not broken, f"{page_id(page)} links to files or headings that do not exist: {broken}"


def test_the_checks_catch_typos():
    """Each extractor finds a misspelt name in a sentence written the way the docs write."""
    text = (
        "Run `make biuld`, read `models/marts/customers/dim_customer.sql` and `audit.audit_rejected_row`, "
        'set var `recommendation_top_n` or `DBT_VARS=\'{"as_of_dat": "2026-01-01"}\'`; '
        "`fct_customer_score.model_version` is a column, `int_customer_features__inputz` a state table. "
        "See [ops](operations.md#no-such-heading), "
        "[the gate](models.md#the-quality-gate-a-bad-retrain-never-scores) and [setup](setup.md)."
    )
    assert named_make_targets(text) - make_targets() == {"biuld"}
    assert {p for p in named_paths(text) if not path_exists(p)} == {"models/marts/customers/dim_customer.sql"}
    assert {v for v in named_vars(text) if v not in declared_vars()} == {"recommendation_top_n", "as_of_dat"}
    # a model qualified by its schema is checked; `model.column` is checked as the model it names
    assert {m for m in named_models(text) if not model_or_helper_table(m)} == {
        "audit_rejected_row",
        "fct_customer_score",
        "int_customer_features__inputz",
    }
    assert model_or_helper_table("int_customer_features__inputs")
    assert broken_links(text, ROOT / "docs" / "operations.md") == ["operations.md#no-such-heading", "setup.md"]
