"""Unit test for benchmarks/benchlib.py: the benchmarks print the dbt threads dbt says it used."""

from benchlib import dbt_threads


def test_the_threads_come_from_what_dbt_printed():
    said = "12:00:01  Found 300 models\n12:00:02  Concurrency: 1 threads (target='dev')\n12:00:03  Done."
    assert dbt_threads(said) == 1
    assert dbt_threads("Concurrency: 2 threads (target='dev')") == 2
    assert dbt_threads("a run that failed before dbt said anything") is None
