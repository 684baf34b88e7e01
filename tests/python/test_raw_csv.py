"""python_udfs/raw_csv.py: what a raw CSV file's check finds, and that it never repeats the file's content."""

from __future__ import annotations

import json

import duckdb
import pytest

from python_udfs.raw_csv import inspect_csv, inspect_csv_json

HEADER = "contact_id,email,first_name"
ROWS = [f"C{i},person.{i}@example.com,Name {i}" for i in range(1, 7)]


def write(tmp_path, lines: list[str], name: str = "t.csv", raw: bytes | None = None):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def rows_read(path: str, result: dict) -> int:
    sql = f"select count(*) from read_csv(?, {result['read_options']}, ignore_errors = true)"
    return duckdb.connect().execute(sql, [path]).fetchall()[0][0]


def test_a_clean_file_has_its_columns_and_no_malformed_lines(tmp_path):
    path = write(tmp_path, [HEADER, *ROWS, 'C9,"quoted, with comma",x'])
    result = inspect_csv(path)
    assert result == {**result, "columns": ["contact_id", "email", "first_name"], "malformed": [], "error": None}
    assert rows_read(path, result) == 7


def test_lines_with_too_many_or_too_few_fields_are_listed_by_line_number(tmp_path):
    lines = [HEADER, *ROWS]
    lines[2] += ",extra"  # line 3 of the file
    lines[5] = "C5,only-two"  # line 6
    path = write(tmp_path, lines)
    result = inspect_csv(path)
    assert result["error"] is None
    assert result["malformed"] == [
        {"line": 3, "problem": "too_many_fields", "expected_fields": 3, "found_fields": 4},
        {"line": 6, "problem": "too_few_fields", "expected_fields": 3, "found_fields": 2},
    ]
    # the view's options skip exactly those lines: every other line is a row
    assert rows_read(path, result) == len(ROWS) - 2


def test_a_line_that_is_not_utf8_is_malformed_not_fatal(tmp_path):
    body = ("\n".join([HEADER, *ROWS]) + "\n").encode()
    cut = body.index(b"person.4")
    path = write(tmp_path, [], raw=body[:cut] + b"\xff\xfe" + body[cut:])
    result = inspect_csv(path)
    assert result["error"] is None
    assert result["malformed"] == [{"line": 5, "problem": "not_utf8", "expected_fields": 3, "found_fields": None}]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty or its first line is blank"),
        (b"contact_id;email;first_name\nC1;a@example.com;A\n", "comma-separated"),
        (b"contact_id,,first_name\n", "empty column name in its header (column 2"),
        (b"contact_id,email,EMAIL\n", "two columns with the same name in its header (column 3"),
        (b"contact_id,\xffemail\n", "not UTF-8"),
        (
            f"{HEADER}\nC1,person.1@example.com,A\rB\nC2,person.2@example.com,B\n".encode(),
            "carriage return (\\r) inside an unquoted field on line 2",
        ),
        (
            f'{HEADER}\nC1,"person.1@example.com,A\nC2,person.2@example.com,B\n'.encode(),
            "quote that is not closed properly on line 2",
        ),
    ],
)
def test_files_that_cannot_be_read_say_why_without_their_content(tmp_path, content, expected):
    out = inspect_csv_json(write(tmp_path, [], raw=content))
    error = json.loads(out)["error"]
    assert expected in error
    assert "@example.com" not in out


def test_no_result_repeats_a_raw_value(tmp_path):
    lines = [HEADER, *ROWS]
    lines[2] += ",secret@example.org"
    out = inspect_csv_json(write(tmp_path, lines))
    assert json.loads(out)["malformed"][0]["line"] == 3
    assert "secret" not in out


def test_a_missing_file_is_an_error_not_an_exception(tmp_path):
    assert "cannot be opened" in json.loads(inspect_csv_json(str(tmp_path / "nope.csv")))["error"]


def test_crlf_a_byte_order_mark_and_a_quoted_newline_are_ordinary_csv(tmp_path):
    body = "\ufeff" + "\r\n".join([HEADER, 'C1,a@example.com,"two\r\nlines"', *ROWS]) + "\r\n"
    path = tmp_path / "t.csv"
    path.write_bytes(body.encode("utf-8"))
    result = inspect_csv(str(path))
    assert (result["columns"][0], result["malformed"], result["error"]) == ("contact_id", [], None)
    sql = f"select first_name from read_csv(?, {result['read_options']}, ignore_errors = true)"
    names = [row[0] for row in duckdb.connect().execute(sql, [str(path)]).fetchall()]
    assert len(names) == len(ROWS) + 1
    assert names[0] == "two\r\nlines"
    assert not any(name.endswith("\r") for name in names)


def test_a_file_with_old_mac_line_ends_reads_its_header_and_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(("\r".join([HEADER, *ROWS]) + "\r").encode())
    result = inspect_csv(str(path))
    assert (result["columns"], result["malformed"], result["error"]) == (
        ["contact_id", "email", "first_name"],
        [],
        None,
    )
    assert rows_read(str(path), result) == len(ROWS)
