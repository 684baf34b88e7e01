"""compare_builds.compare: the row-by-row check make test-spark rests on must find every kind of difference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
from compare_builds import compare


def same(left: pd.DataFrame, right: pd.DataFrame, ignore: frozenset[str] = frozenset()) -> str | None:
    return compare(left, right, set(ignore), 1e-6, 1e-9)


LEFT = pd.DataFrame(
    {
        "id": [1, 2, 3, 3],
        "name": ["a", None, "c", "c"],
        "amount": [1.5, 2.25, None, 1e9],
        "is_on": [True, False, True, True],
        "at": pd.to_datetime(
            ["2026-01-01 10:00:00", "2026-01-02", None, "2026-03-01 00:00:00.000001"], format="ISO8601"
        ),
        "tags": [["x", "y"], [], None, ["z"]],
    }
)


def test_the_same_rows_in_another_order_and_other_types_are_equal():
    right = LEFT.iloc[[3, 1, 0, 2]].copy()
    right["amount"] = [Decimal("1000000000.0004"), Decimal("2.25"), Decimal("1.5"), None]  # within the tolerance
    right["at"] = [  # time zones convert to UTC; a date is its midnight
        datetime(2026, 3, 1, 1, 0, 0, 1, tzinfo=timezone(pd.Timedelta(hours=1))),
        date(2026, 1, 2),
        datetime(2026, 1, 1, 10, tzinfo=UTC),
        None,
    ]
    right["tags"] = [np.array(["z"]), np.array([]), ["x", "y"], None]
    right["id"] = right["id"].astype("int32")
    assert same(LEFT, right) is None


def test_each_kind_of_cell_that_differs_is_found():
    changes = {
        "id": 4,
        "name": "b",  # a value where the other side has a null
        "amount": 2.2501,  # beyond the relative tolerance
        "is_on": True,
        "at": pd.Timestamp("2026-01-02 00:00:00.000001"),  # a microsecond
        "tags": ["y"],
    }
    for column, value in changes.items():
        right = LEFT.copy()
        right[column] = right[column].astype(object)
        right.at[1, column] = value
        problem = same(LEFT, right)
        assert problem is not None, column
        assert f"column {column}" in problem, (column, problem)


def test_a_duplicated_row_is_not_the_same_as_two_distinct_rows():
    right = LEFT.copy()
    right.loc[3] = right.loc[2]
    assert same(LEFT, right) is not None


def test_columns_row_counts_and_kinds_must_match_and_ignored_columns_do_not_count():
    assert "only left ['tags']" in same(LEFT, LEFT.drop(columns="tags"))
    assert same(LEFT, LEFT.drop(columns="tags"), frozenset({"tags"})) is None
    assert "row counts differ: 4 vs 3" in same(LEFT, LEFT.iloc[:3])
    as_text = LEFT.assign(id=LEFT["id"].astype(str))
    assert "column id holds num on the left, text on the right" in same(LEFT, as_text)


def test_a_column_null_on_one_side_only_differs():
    assert same(LEFT, LEFT.assign(name=None)) is not None
    assert same(LEFT.assign(name=None), LEFT.assign(name=np.nan)) is None
