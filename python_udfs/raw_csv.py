"""Check a raw CSV file before the project reads it, without ever repeating its content.

The on-run-start hook calls :func:`inspect_csv` (through the UDF
``raw_csv_inspect``) for every raw ``<table>.csv``. It reads the file the way
the project's views do (comma-separated, ``"`` quotes, header on line 1, every
column text) and returns, as JSON:

* ``columns``: the header's column names, and ``read_options``: the read_csv
  options declaring them, which the view uses so that one malformed line cannot
  change how the rest of the file is read;
* ``malformed``: one entry per line that cannot be a row (too many or too few
  fields, bytes that are not UTF-8): its line number in the file, the problem,
  the fields expected and found. The view skips these lines; the audit lists them;
* ``error``: set when the file as a whole cannot be read (empty, no usable header,
  a quote that is never closed and would swallow the lines after it).

Messages name line numbers and counts only: a raw line holds personal data
(emails, names) and must not reach a terminal or ``logs/dbt.log``.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb

# The dialect the project reads, fixed rather than sniffed: a sniffer that meets
# one malformed line can decide the whole file is a single column.
CSV_DIALECT = {"delim": ",", "quote": '"', "escape": '"'}

_PROBLEMS = {
    "TOO MANY COLUMNS": "too_many_fields",
    "MISSING COLUMNS": "too_few_fields",
    "INVALID ENCODING": "not_utf8",
    "LINE SIZE OVER MAXIMUM": "line_too_long",
}
_FOUND = re.compile(r"Found: (\d+)")


def sql_string(value: str) -> str:
    """A SQL string literal: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def read_options(columns: list[str]) -> str:
    """The read_csv options (after the path) that the check and the view share."""
    declared = ", ".join(f"{sql_string(name)}: 'VARCHAR'" for name in columns)
    dialect = ", ".join(f"{key} = {sql_string(value)}" for key, value in CSV_DIALECT.items())
    return f"header = true, auto_detect = false, {dialect}, columns = {{{declared}}}"


_LINE_END = re.compile(rb"\r\n|\r|\n")


def _header(path: Path) -> tuple[list[str] | None, str | None]:
    with path.open("rb") as f:
        head = f.read(1 << 20)
    end = _LINE_END.search(head)
    first = head[: end.start()] if end else head
    if not first.strip():
        return None, (
            "is empty or its first line is blank: line 1 must be the header "
            "(a table with no rows still needs its header line)"
        )
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "has a header line (line 1) that is not UTF-8 text: save the file as UTF-8 CSV"
    try:
        names = next(csv.reader([text]), [])
    except csv.Error:
        return (
            None,
            "has a header line (line 1) that cannot be read as CSV: one unique name per column, comma-separated",
        )
    names = [name.strip() for name in names]
    if len(names) == 1 and any(sep in names[0] for sep in (";", "\t", "|")):
        return None, "has a single column in its header: the project reads comma-separated files (not ; tab or |)"
    if any(name == "" for name in names):
        position = next(i + 1 for i, name in enumerate(names) if name == "")
        return None, f"has an empty column name in its header (column {position} of line 1)"
    lowered = [name.lower() for name in names]
    if len(set(lowered)) != len(lowered):
        first_dup = next(i for i, name in enumerate(lowered) if lowered.index(name) != i)
        return None, f"has two columns with the same name in its header (column {first_dup + 1} of line 1)"
    return names, None


def _field_count(csv_line: str | None) -> int | None:
    if csv_line is None:
        return None
    try:
        return len(next(csv.reader([csv_line])))
    except (csv.Error, StopIteration):
        return None


def _first_stray_carriage_return(path: Path) -> int | None:
    """Line number (1-based, lines ending in \\n) of the first \\r not ending a line, outside quotes."""
    in_quotes = False
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            body = line[:-2] if line.endswith(b"\r\n") else line.rstrip(b"\n")
            for byte in body:
                if byte == 0x22:  # "
                    in_quotes = not in_quotes
                elif byte == 0x0D and not in_quotes:
                    return number
    return None


def inspect_csv(path: str) -> dict:
    """Inspect one raw CSV file; see the module docstring for the result."""
    file = Path(path)
    result: dict = {"columns": [], "read_options": None, "malformed": [], "error": None}
    try:
        columns, error = _header(file)
    except OSError as exc:
        result["error"] = f"cannot be opened ({type(exc).__name__})"
        return result
    if error:
        result["error"] = error
        return result
    result["columns"] = columns
    result["read_options"] = read_options(columns)
    con = duckdb.connect()
    try:
        # hash(columns(*)) makes DuckDB decode every field, so encoding errors surface here
        con.execute(
            f"select count(*), max(hash(columns(*))) from read_csv(?, {read_options(columns)}, store_rejects = true)",
            [str(file)],
        ).fetchall()
        rejects = con.execute(
            "select line, error_type::varchar, error_message, csv_line from reject_errors order by line"
        ).fetchall()
    except duckdb.Error as exc:
        stray = _first_stray_carriage_return(file)
        if stray is not None:
            result["error"] = (
                f"has a carriage return (\\r) inside an unquoted field on line {stray}, which makes the file "
                "unreadable: quote that field, or remove the character in the export"
            )
            return result
        # DuckDB's CSV errors quote the offending line: keep only its first line, minus anything quoted
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        result["error"] = "cannot be read as CSV: " + re.sub(r"(['\"]).*?\1", "<value>", first)[:200]
        return result
    finally:
        con.close()
    by_line: dict[int, dict] = {}
    for line, error_type, message, csv_line in rejects:
        if error_type in ("UNQUOTED VALUE", "INVALID STATE"):
            result["error"] = (
                f"has a quote that is not closed properly on line {line}: every line after it would be read "
                'as part of one field. Close the quote, or double a quote inside a quoted field ("")'
            )
            result["malformed"] = []
            return result
        entry = by_line.setdefault(
            int(line),
            {
                "line": int(line),
                "problem": _PROBLEMS.get(error_type, error_type.lower().replace(" ", "_")),
                "expected_fields": len(columns),
                "found_fields": None,
            },
        )
        found = _field_count(csv_line) if error_type in ("TOO MANY COLUMNS", "MISSING COLUMNS") else None
        if found is None and (m := _FOUND.search(message or "")):
            found = int(m.group(1))
        if found is not None and entry["found_fields"] is None:
            entry["found_fields"] = found
    result["malformed"] = list(by_line.values())
    return result


def inspect_csv_json(path: str) -> str:
    """:func:`inspect_csv` as a JSON string (the UDF's return value)."""
    try:
        return json.dumps(inspect_csv(path))
    except Exception as exc:  # the message must never carry file content
        return json.dumps(
            {
                "columns": [],
                "read_options": None,
                "malformed": [],
                "error": f"could not be checked ({type(exc).__name__})",
            }
        )
