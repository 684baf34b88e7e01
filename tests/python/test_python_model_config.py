"""Every config key a dbt Python model reads is one dbt hands it.

dbt passes a Python model only the config keys it finds in the model's source as
literal dbt.config.get("key") calls, and its parser (dbt.parser.models.PythonParseVisitor)
looks only where a call is a call's argument or attribute: inside `or`, a comparison or
a subscript it does not look, and the model then reads None at run time. That happened
to ml_customer_recommendations' scoring_threads: `int(dbt.config.get(...) or 1)`
scored on one thread at 1,000,000 contacts without a word.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from dbt.parser.models import PythonParseVisitor

MODELS = sorted((Path(__file__).resolve().parents[2] / "models").rglob("*.py"))


def config_keys_read(source: str) -> set[str]:
    """The keys of every dbt.config.get("key") call anywhere in the source."""
    keys = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and PythonParseVisitor._flatten_attr(node.func) == "dbt.config.get"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.add(node.args[0].value)
    return keys


def config_keys_dbt_passes(source: str) -> set[str]:
    """The keys dbt's own parser finds, so the ones it puts in the model's config_dict."""
    visitor = PythonParseVisitor(None)
    visitor.visit(ast.parse(source))
    return {args[0] for name, args, _ in visitor.dbt_function_calls if name == "get" and args}


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_dbt_sees_every_config_key_the_model_reads(path):
    source = path.read_text()
    assert config_keys_read(source) <= config_keys_dbt_passes(source)


def test_a_key_read_inside_an_or_is_one_dbt_does_not_pass():
    hidden = 'def model(dbt, session):\n    return int(dbt.config.get("threads") or 1)\n'
    seen = 'def model(dbt, session):\n    return int(dbt.config.get("threads"))\n'
    assert config_keys_read(hidden) == {"threads"}
    assert config_keys_dbt_passes(hidden) == set()
    assert config_keys_dbt_passes(seen) == {"threads"}
