"""How old a kept score or list may be: the day rule both rescoring plans share (DuckDB).

ml_customer_scores (python_udfs/ml/rescoring.py) and ml_customer_recommendations
(python_udfs/recs/rescoring.py) keep a customer's row when what it was made from
is unchanged. Some of that moves with the calendar alone: recency and tenure
count days, interactions decay by age. Rescoring everyone for that on the first
run of each day made the hourly refresh after midnight take 11 minutes at
1,000,000 contacts, the cost of scoring everyone. So the day is not in the
digests; each row records the cut-off it was scored as of (scored_as_of), and a
row is kept while that day is at most var rescoring_max_age_days (default 1)
before the run's day. The nightly build retrains, and a new registry row changes
every customer's digest, so it rescores everyone as of its day; the hourly
refresh after midnight keeps yesterday's rows for customers who did nothing.
0 restores rescoring everyone on the first run of each day.
"""

from __future__ import annotations

SCORED_AS_OF_COLUMN = "scored_as_of"


def max_age_days(value) -> int:
    """The config value (a var, so perhaps text) as a number of days, at least 0."""
    days = int(value if value is not None else 1)
    if days < 0:
        raise ValueError(f"var rescoring_max_age_days must be 0 or more days, got {value!r}")
    return days


def recent_enough(stored: str, current: str, days: int) -> str:
    """SQL: the row `stored` was scored on the day of `current`'s cut-off or at most `days` days before it."""
    stored_day = f"cast({stored}.{SCORED_AS_OF_COLUMN} as date)"
    current_day = f"cast({current}.{SCORED_AS_OF_COLUMN} as date)"
    return f"{stored_day} between {current_day} - {int(days)} and {current_day}"
