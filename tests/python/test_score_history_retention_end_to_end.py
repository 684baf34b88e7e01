"""ml_score_history's retention: one scoring run per as_of day (the latest), none older than
score_history_retention_days before the run's as_of, and an erased person's rows still leave it.

Starts from the session build (one run as of E2E_END_DATE) and rebuilds only ml_score_history (and its
tests), as the hourly score_only would, with the as_of moved day by day."""

import hashlib

import pytest
from conftest import E2E_END_DATE, assert_ok, run_dbt

pytestmark = pytest.mark.e2e

HISTORY = "intermediate.ml_score_history"
SCORE_HISTORY = ["build", "--select", "ml_score_history"]


def runs(build) -> list[tuple[str, object]]:
    """The runs the history holds: (as_of day, scored_at), oldest first."""
    return [
        (str(day), scored_at)
        for day, scored_at in build.query(
            f"select cast(as_of_at as date), scored_at from {HISTORY} group by all order by 1, 2"
        )
    ]


def test_the_history_keeps_one_run_per_day_within_the_retention_and_no_erased_person(built, warehouse_copy):
    work = warehouse_copy("score_history")
    [(first_day, first_scored_at)] = runs(built)
    assert first_day == E2E_END_DATE
    customers = built.scalar(f"select count(*) from {HISTORY}")

    def score(as_of: str, **dbt_vars) -> object:
        return assert_ok(run_dbt(SCORE_HISTORY, built.raw_dir, work, {"as_of_date": as_of, **dbt_vars}))

    # the same as_of day again (an hourly run): the later run replaces the earlier one
    again = score(E2E_END_DATE)
    assert [day for day, _ in runs(again)] == [E2E_END_DATE]
    [(_, scored_at)] = runs(again)
    assert scored_at > first_scored_at
    assert again.scalar(f"select count(*) from {HISTORY}") == customers

    # the next day's run adds a run
    next_day = score("2026-06-02")
    assert [day for day, _ in runs(next_day)] == [E2E_END_DATE, "2026-06-02"]

    # as_of 11 days later with a 10-day retention: 1 June is older than 2 June (the cut-off, kept) and goes
    later = score("2026-06-12", score_history_retention_days=10)
    assert [day for day, _ in runs(later)] == ["2026-06-02", "2026-06-12"]
    assert later.scalar(f"select count(*) from {HISTORY}") == 2 * customers

    # a third day's run adds a run; the default retention (400 days) keeps the others
    third = score("2026-06-13")
    assert [day for day, _ in runs(third)] == ["2026-06-02", "2026-06-12", "2026-06-13"]

    # an erased person: their rows leave every run kept, not only the new one
    customer_id, email = third.query(
        f"select history.customer_id, min(identities.identifier_value) from {HISTORY} as history "
        "inner join intermediate.int_identities_stitched as identities "
        "on history.customer_id = identities.customer_id and identities.identifier_type = 'email' "
        "group by history.customer_id having count(distinct history.scored_at) = 3 order by 1 limit 1"
    )[0]
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    erased = assert_ok(
        run_dbt(
            ["build", "--select", "int_erasure_requests", "int_erased_customers", "ml_score_history"],
            built.raw_dir,
            work,
            {"as_of_date": "2026-06-14", "erasure_email_sha256s": [digest]},
        )
    )
    assert [day for day, _ in runs(erased)] == ["2026-06-02", "2026-06-12", "2026-06-13", "2026-06-14"]
    assert erased.scalar(f"select count(*) from {HISTORY} where customer_id = '{customer_id}'") == 0
    assert erased.scalar(f"select count(distinct customer_id) from {HISTORY}") > 0
