"""Unit test for benchmarks/bench_memory_limits.py: a model that cannot fit is reported, not fatal."""

import duckdb
from bench_memory_limits import main


def test_each_try_says_whether_the_model_completed_and_the_scratch_schema_goes(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table numbers as select range as n from range(3000000)")
    compiled = tmp_path / "full" / "target" / "compiled" / "project" / "models"
    compiled.mkdir(parents=True)
    # a list aggregate of every row is held whole in memory: it cannot spill
    (compiled / "whole_list.sql").write_text("select list(n) as l from numbers")
    (compiled / "small_count.sql").write_text("select count(*) as c from numbers")

    report = main(["--work", str(tmp_path), "--models", "whole_list", "small_count", "--limits", "8MB", "1GB",
                   "--out", str(tmp_path / "report.json")])  # fmt: skip

    outcome = {(t["model"], t["limit"]): t["completed"] for t in report["tries"]}
    assert outcome == {("whole_list", "8MB"): False, ("whole_list", "1GB"): True,
                       ("small_count", "8MB"): True, ("small_count", "1GB"): True}  # fmt: skip
    assert (tmp_path / "report.json").exists()
    failed = next(t for t in report["tries"] if not t["completed"])
    assert "Out of Memory" in failed["error"]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from information_schema.schemata where schema_name = "
                           "'bench_memory_limits'").fetchall() == [(0,)]  # fmt: skip
