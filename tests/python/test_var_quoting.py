"""Vars never reach SQL unchecked: text vars are validated and quoted, numbers checked, erasure digests validated.

Each case compiles the models that use the var with a hostile value and expects
a clear compilation error naming the var (or, for a valid value, a safe literal).
"""

from __future__ import annotations

import pytest
from conftest import assert_ok, run_dbt

pytestmark = pytest.mark.e2e

SHA = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
COMPILED = "compiled/email_personalization/models"


def compile_models(demo_data, tmp_path, models: list[str], dbt_vars: dict):
    return run_dbt(["compile", "--select", *models], demo_data[0], tmp_path / "work", dbt_vars)


@pytest.mark.parametrize(
    ("models", "dbt_vars", "message"),
    [
        (
            ["stg_shop__products", "fct_customer_scores"],
            {"base_currency": "GB'P"},
            "var base_currency must be an uppercase ISO 4217 code such as GBP (got GB'P)",
        ),
        (
            ["int_erasure_requests"],
            {"erasure_email_sha256s": [SHA, "x'); drop table main.dim_customers; --"]},
            "var erasure_email_sha256s: value 2 is not a SHA-256 hex digest",
        ),
        (
            ["int_erasure_requests"],
            {"erasure_email_sha256s": "ava@example.com"},
            "var erasure_email_sha256s must be a list of SHA-256 hex digests",
        ),
        (
            ["int_bestsellers"],
            {"bestseller_days": "30) or (1=1"},
            "var bestseller_days must be a number",
        ),
    ],
)
def test_a_hostile_var_stops_compilation_naming_the_var(demo_data, tmp_path, models, dbt_vars, message):
    build = compile_models(demo_data, tmp_path, models, dbt_vars)
    assert build.result.returncode != 0
    assert message in build.result.stdout
    # an email pasted instead of its digest is not repeated back into the log
    if dbt_vars.get("erasure_email_sha256s") == "ava@example.com":
        assert "ava@example.com" not in build.result.stdout


def test_valid_digests_become_quoted_lowercase_literals(demo_data, tmp_path):
    build = assert_ok(
        compile_models(demo_data, tmp_path, ["int_erasure_requests"], {"erasure_email_sha256s": [f" {SHA} "]})
    )
    sql = (build.work_dir / "target" / COMPILED / "intermediate/identity/int_erasure_requests.sql").read_text()
    assert f"select '{SHA.lower()}' as email_sha256" in sql
