"""The one way dirt is planted: extra rows copied from a table and changed, counted for the truth.

Every kind of dirt is always on extra rows (a duplicate, a row with a bad
status, a row from 2099...), so the number of people stays known exactly and
``Truth.dirty_rows`` says how many rows each kind added. The few kinds that
change rows in place (mixed-case statuses) add none and are not counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass(frozen=True)
class Dirt:
    """One kind of dirt.

    kind: its name in ``Truth.dirty_rows``.
    rows: how many rows to sample and copy (ignored when ``at`` is given).
    changes: column -> value, or a function of the copied rows (as ``DataFrame.assign`` takes).
    tag: appended to the table's key, so a changed copy is a new row rather than a duplicate.
    at: fixed row positions to copy instead of a sample.
    in_place: change the sampled rows themselves instead of adding copies.
    """

    kind: str
    rows: int = 0
    changes: Mapping[str, Any | Callable[[pd.DataFrame], Any]] = field(default_factory=dict)
    tag: str = ""
    at: tuple[int, ...] = ()
    in_place: bool = False


def plant(
    frame: pd.DataFrame, dirt: Sequence[Dirt], *, seed: int | None = None, key: str | None = None
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The table with its dirt appended (after in-place changes), and the rows each kind added.

    The i-th kind samples its rows with ``random_state=seed + i`` from the clean
    table: which rows get dirty depends on the seed alone and never draws from the
    generator's random stream.
    """
    out = frame.copy() if any(d.in_place for d in dirt) else frame
    extra: list[pd.DataFrame] = []
    counts: dict[str, int] = {}
    for i, d in enumerate(dirt):
        if d.at:
            rows = frame.iloc[list(d.at)]
        elif seed is None:
            raise ValueError(f"dirt {d.kind!r} samples rows: plant() needs a seed")
        else:
            rows = frame.sample(n=d.rows, random_state=seed + i)
        if d.tag:
            if key is None:
                raise ValueError(f"dirt {d.kind!r} tags the key: plant() needs the key column")
            rows = rows.assign(**{key: rows[key] + d.tag})
        rows = rows.assign(**d.changes)
        if d.in_place:
            for column in d.changes:
                out.loc[rows.index, column] = rows[column]
        else:
            extra.append(rows)
            counts[d.kind] = len(rows)
    return pd.concat([out, *extra], ignore_index=True), counts
