"""The cross-database macros (macros/cross_db/) keep their shape and their docs.

Each public macro there that calls ``adapter.dispatch`` dispatches on its own
name in the project's namespace and has a DuckDB form (``default__<name>``)
and a Spark form (``spark__<name>``). Every public macro, and every override
of a dbt or dbt-spark macro (an adapter form with no public macro of its own
here, such as spark__dateadd), has an entry with a description in
macros/cross_db/_cross_db.yml listing its arguments in order; every entry there
names a macro that exists. Static and fast: it reads the files, never runs dbt.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CROSS_DB = REPO / "macros" / "cross_db"
DOCS = CROSS_DB / "_cross_db.yml"
NAMESPACE = "email_personalization"
ADAPTER_PREFIXES = ("default__", "duckdb__", "spark__", "databricks__")

COMMENT = re.compile(r"{#.*?#}", re.DOTALL)
MACRO = re.compile(
    r"{%-?\s*macro\s+(\w+)\s*\((.*?)\)\s*-?%}(.*?){%-?\s*endmacro\s*-?%}",
    re.DOTALL,
)
DISPATCH = re.compile(r"adapter\.dispatch\(\s*['\"](\w+)['\"]\s*(?:,\s*['\"](\w+)['\"])?")


def parameters(signature: str) -> list[str]:
    """The parameter names of a Jinja macro signature, which is Python's syntax."""
    return [arg.arg for arg in ast.parse(f"def f({signature}): pass").body[0].args.args]


def macros_in(sql: str) -> dict[str, tuple[list[str], str]]:
    """name -> (parameters, body) of every macro defined in a file's text."""
    return {m.group(1): (parameters(m.group(2)), m.group(3)) for m in MACRO.finditer(COMMENT.sub("", sql))}


def cross_db_macros(folder: Path | None = None) -> dict[str, tuple[list[str], str]]:
    found: dict[str, tuple[list[str], str]] = {}
    for path in sorted((folder or CROSS_DB).glob("*.sql")):
        found.update(macros_in(path.read_text()))
    return found


def public(macros: dict) -> list[str]:
    return sorted(name for name in macros if not name.startswith(ADAPTER_PREFIXES))


def overrides(macros: dict) -> list[str]:
    """Adapter forms whose public macro is not ours: they replace dbt's or an adapter's own."""
    return sorted(name for name in macros if name.startswith(ADAPTER_PREFIXES) and name.split("__", 1)[1] not in macros)


def dispatching(macros: dict) -> list[str]:
    return [name for name in public(macros) if DISPATCH.search(macros[name][1])]


def documented(path: Path | None = None) -> dict[str, dict]:
    entries = (yaml.safe_load((path or DOCS).read_text()) or {}).get("macros") or []
    return {entry["name"]: entry for entry in entries}


# The checks, as functions of (macros, docs) so the tests below can show each one fails.


def missing_forms(macros: dict) -> list[str]:
    problems = []
    for name in dispatching(macros):
        dispatched, namespace = DISPATCH.search(macros[name][1]).groups()
        if dispatched != name or namespace != NAMESPACE:
            problems.append(f"{name}: dispatches {dispatched!r} in {namespace!r}, not {name!r} in {NAMESPACE!r}")
        problems += [f"{name}: no {prefix}{name}" for prefix in ("default__", "spark__") if prefix + name not in macros]
    return problems


def undocumented(macros: dict, docs: dict) -> list[str]:
    problems = []
    for name in public(macros) + overrides(macros):
        entry = docs.get(name)
        if entry is None:
            problems.append(f"{name}: no entry in {DOCS.name}")
        elif not str(entry.get("description") or "").strip():
            problems.append(f"{name}: empty description")
    return problems


def wrong_arguments(macros: dict, docs: dict) -> list[str]:
    problems = []
    for name, entry in docs.items():
        if name not in macros:
            continue
        listed = [argument.get("name") for argument in entry.get("arguments") or []]
        if listed != macros[name][0]:
            problems.append(f"{name}: arguments {listed} in {DOCS.name}, {macros[name][0]} in the macro")
        problems += [
            f"{name}.{argument.get('name')}: empty description"
            for argument in entry.get("arguments") or []
            if not str(argument.get("description") or "").strip()
        ]
    return problems


def unknown_entries(macros: dict, docs: dict) -> list[str]:
    return [f"{name}: no such macro in macros/cross_db" for name in docs if name not in macros]


def test_the_folder_has_dispatch_macros_and_overrides_to_check():
    macros = cross_db_macros()
    assert len(dispatching(macros)) >= 20, dispatching(macros)
    assert {"spark__dateadd", "spark__datediff", "spark__load_csv_rows"} <= set(overrides(macros))


def test_every_dispatch_macro_has_a_duckdb_and_a_spark_form():
    problems = missing_forms(cross_db_macros())
    assert not problems, "\n".join(problems)


def test_every_public_macro_and_override_is_documented():
    problems = undocumented(cross_db_macros(), documented())
    assert not problems, "\n".join(problems)


def test_documented_arguments_are_the_macros_own():
    problems = wrong_arguments(cross_db_macros(), documented())
    assert not problems, "\n".join(problems)


def test_every_entry_names_a_macro_that_exists():
    problems = unknown_entries(cross_db_macros(), documented())
    assert not problems, "\n".join(problems)


# Each check fails when its promise is broken (on copies, never the real files).

DISPATCH_MACRO = """
{%- macro {name}(x) -%}{{ return(adapter.dispatch('{dispatched}', 'email_personalization')(x)) }}{%- endmacro %}
"""


def one_macro(name: str = "demo", dispatched: str = "demo") -> str:
    return DISPATCH_MACRO.replace("{name}", name).replace("{dispatched}", dispatched)


DEFAULT_FORM = "{% macro default__demo(x) -%} f({{ x }}) {%- endmacro %}\n"
SPARK_FORM = "{% macro spark__demo(x) -%} g({{ x }}) {%- endmacro %}\n"
FORMS = DEFAULT_FORM + SPARK_FORM


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (one_macro() + SPARK_FORM, "no default__demo"),
        (one_macro() + DEFAULT_FORM, "no spark__demo"),
        (one_macro(dispatched="other") + FORMS, "dispatches 'other'"),
        # a form inside a comment does not count
        (one_macro() + DEFAULT_FORM + "{# " + SPARK_FORM + " #}", "no spark__demo"),
    ],
)
def test_the_forms_check_fails_on_a_missing_form(sql, expected):
    assert any(expected in problem for problem in missing_forms(macros_in(sql)))
    assert missing_forms(macros_in(one_macro() + FORMS)) == []


def test_the_docs_checks_fail_on_a_broken_copy(tmp_path):
    folder = tmp_path / "cross_db"
    folder.mkdir()
    for path in CROSS_DB.glob("*.sql"):
        (folder / path.name).write_text(path.read_text())
    (folder / "demo.sql").write_text(one_macro() + FORMS)
    macros = cross_db_macros(folder)
    docs = documented()
    assert "demo: no entry in _cross_db.yml" in undocumented(macros, docs)

    broken = yaml.safe_load(DOCS.read_text())
    first = next(entry for entry in broken["macros"] if len(entry.get("arguments") or []) >= 2)
    first["description"] = "  "
    first["arguments"] = list(reversed(first["arguments"]))
    broken["macros"].append({"name": "no_such_macro", "description": "gone"})
    copy = tmp_path / "_cross_db.yml"
    copy.write_text(yaml.safe_dump(broken))
    broken_docs = documented(copy)
    assert f"{first['name']}: empty description" in undocumented(macros, broken_docs)
    assert any(problem.startswith(f"{first['name']}: arguments") for problem in wrong_arguments(macros, broken_docs))
    assert unknown_entries(macros, broken_docs) == ["no_such_macro: no such macro in macros/cross_db"]
