"""Cells a spreadsheet will not execute (OWASP CSV injection), for file exports.

Same rule as the dbt macro spreadsheet_safe: a text value starting with =, +, -,
@, tab or carriage return gets a leading single quote, unless it is a plain
number. Numbers, dates, booleans and nulls are never changed.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def spreadsheet_safe(value: Any) -> Any:
    """The value with a leading quote when a spreadsheet would execute it; anything not text as it is."""
    if not isinstance(value, str) or not value.startswith(_TRIGGERS) or _NUMBER.fullmatch(value):
        return value
    return "'" + value


def spreadsheet_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of frame with every text column's cells made spreadsheet-safe; other columns untouched."""
    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_object_dtype(safe[column]) or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(spreadsheet_safe)
    return safe
