"""AS_OF_DATE: the environment variable that pins "today" without a dbt var, so dbt keeps its last parse.

The var as_of_date wins over it; a changed value is read by the next run from a partial parse (the bench's
hourly refresh relies on both); a hostile value stays a quoted literal.
"""

from __future__ import annotations

import pytest
from conftest import assert_ok, run_dbt

pytestmark = pytest.mark.e2e

COMPILED = "target/compiled/email_personalization/models/staging/crm/base/base_crm__contacts.sql"


def compiled_as_of(demo_data, work, env=None, dbt_vars=None) -> str:
    build = assert_ok(run_dbt(["compile", "--select", "base_crm__contacts"], demo_data[0], work, dbt_vars, env))
    return (build.work_dir / COMPILED).read_text()


def test_as_of_date_from_the_environment_and_a_partial_parse(demo_data, tmp_path):
    work = tmp_path / "work"
    first = compiled_as_of(demo_data, work, {"AS_OF_DATE": "2026-03-04 05:00:00"})
    assert "cast('2026-03-04 05:00:00' as timestamp)" in first
    # the next hour, in the same folder: dbt parses nothing again (the variable is read when the SQL is rendered to
    # run, not while parsing), and the SQL has the new hour
    second = compiled_as_of(demo_data, work, {"AS_OF_DATE": "2026-03-04 06:00:00"})
    assert "cast('2026-03-04 06:00:00' as timestamp)" in second
    assert "2026-03-04 05:00:00" not in second
    log = (work / "logs" / "dbt.log").read_text()
    last_run = log[log.rindex("Running with dbt") :]
    assert "Partial parsing enabled" in last_run
    assert "Starting full parse" not in last_run
    assert "Partial parsing: updated file" not in last_run


def test_the_var_wins_over_the_environment(demo_data, tmp_path):
    sql = compiled_as_of(demo_data, tmp_path / "work", {"AS_OF_DATE": "2026-03-04"}, {"as_of_date": "2026-01-01"})
    assert "cast('2026-01-01' as timestamp)" in sql
    assert "2026-03-04" not in sql


def test_a_hostile_value_stays_a_literal(demo_data, tmp_path):
    hostile = "2026-01-01'); drop table main.dim_customers; --"
    sql = compiled_as_of(demo_data, tmp_path / "work", {"AS_OF_DATE": hostile})
    assert "cast('2026-01-01''); drop table main.dim_customers; --' as timestamp)" in sql
