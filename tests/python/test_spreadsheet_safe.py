"""spreadsheet_safe: the Python twin of the macro, for file exports written outside SQL."""

from __future__ import annotations

import pandas as pd
import pytest

from python_udfs.spreadsheet_safe import spreadsheet_safe, spreadsheet_safe_frame


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("Ann-Marie", "Ann-Marie"),
        ("", ""),
        (None, None),
        (-5, -5),
        (1.5, 1.5),
    ],
)
def test_cells_a_spreadsheet_executes_get_a_leading_quote(value, expected):
    assert spreadsheet_safe(value) == expected


def test_a_frame_keeps_its_numbers_and_neutralises_its_text():
    frame = pd.DataFrame({"name": ["=1+1", "Bo"], "score": [-1.5, 2.0], "count": [-3, 4]})
    safe = spreadsheet_safe_frame(frame)
    assert safe["name"].tolist() == ["'=1+1", "Bo"]
    assert safe["score"].tolist() == [-1.5, 2.0]
    assert safe["count"].tolist() == [-3, 4]
    assert frame["name"].tolist() == ["=1+1", "Bo"]  # the input is not changed
