"""The SQL layer stays portable: no DuckDB-only syntax outside dispatch macros.

The project runs on DuckDB by default and on Spark (make test-spark compares
the two row by row). Spark rejects a known set of DuckDB constructs; each has a
portable form: one of dbt's cross-database macros (dbt.type_string,
dbt.dateadd, dbt.datediff, ...) or a dispatch macro in macros/cross_db/ whose
``default__`` body is the DuckDB form. This static check fails on such a
construct anywhere else in models/, macros/, tests/ and analyses/, so a new
model cannot quietly become DuckDB-only. It needs no Spark, so `make test`
runs it.

Exempt: the bodies of ``default__*`` and ``duckdb__*`` macros (the DuckDB
side of a dispatch) and the DuckDB-only hooks listed in DUCKDB_ONLY_MACROS,
which skip themselves with a message on other engines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FOLDERS = ("models", "macros", "tests", "analyses")

# DuckDB-only by design (files in RAW_DATA_DIR, DuckDB's own catalogue, COPY TO):
# each returns early or raises a clear message on other adapters.
DUCKDB_ONLY_MACROS = {
    "register_api_exposures",
    "move_ml_state_to_intermediate",
    "export_to_file",
    # the incremental attribution's per-day digests (macros/attribution_slice.sql): DuckDB's hash(), compared
    # on DuckDB only; on other engines the attributing models are tables and the macro refuses to compile
    "attribution_source_days_sql",
    # the hourly refresh of int_customer_features (macros/customer_features_refresh.sql): digests with hash(),
    # the stored cut-off read with strftime; on other engines the plan computes everyone and these never run
    "customer_feature_inputs_sql",
    "customer_features_plan",
    # likewise fct_customer_recommendations (macros/recommendations_mart_refresh.sql): digests with hash()
    "recommendations_mart_customers_sql",
    "recommendations_mart_products_sql",
    # and int_recommendation_events (macros/recommendation_events_refresh.sql): the catalogue's digest
    "recommendation_events_products_digest_sql",
}

# DuckDB-only on purpose, where the file says so: (file, construct) -> why
ALLOWED = {
    ("tests/macros/test_parse_timestamp.sql", "timestamptz"): (
        "typed timestamptz inputs exist only on DuckDB; the test gives Spark its own typed input"
    ),
}

# (pattern, what to write instead); patterns see SQL with comments and string contents removed
RULES = [
    (r"\bvarchar\b(?!\s*\()", "varchar without a length: {{ dbt.type_string() }}"),
    (r"\*\s*exclude\b", "* exclude (...): list the columns"),
    (r"\bunion\s+(all\s+)?by\s+name\b", "union by name: list the columns in one order"),
    (r"\bto_(micros|millis|seconds|minutes|hours|days|weeks|months|years)\s*\(", "to_<unit>(): dbt.dateadd"),
    (r"\bdate_diff\s*\(", "date_diff(): dbt.datediff"),
    (r"\bdatediff\s*\(\s*'", "datediff('<unit>', ...): dbt.datediff"),
    (r"\barg_(min|max)\s*\(", "arg_min/arg_max: min_by/max_by"),
    (r"\bregexp_full_match\s*\(", "regexp_full_match(): the regexp_full_match macro"),
    (r"\btimezone\s*\(", "timezone(): utc_to_local / local_to_utc"),
    (r"\btimestamptz\b|\btimestamp\s+with\s+time\s+zone\b", "timestamptz: UTC timestamps"),
    (r"\bsha256\s*\(", "sha256(): sha256_hex"),
    (r"\bprintf\s*\(", "printf(): format_fixed"),
    (r"\bjson_extract(_string)?\s*\(", "json_extract(): json_text"),
    (r"\bgenerate_series\s*\(", "generate_series(): a dispatch macro"),
    (r"\bunnest\s*\(", "unnest(): a dispatch macro (Spark: explode)"),
    (r"\bread_(csv|csv_auto|parquet|json)\w*\s*\(", "read_csv/read_parquet: a DuckDB-only hook"),
    (r"\bcopy\b[^;]*?\bto\s*'", "copy ... to: a DuckDB-only hook"),
    (r"\bhash\s*\(", "hash(): engine-specific values; md5 or sha256_hex"),
    (r"\bepoch(_ms|_us)?\s*\(", "epoch(): epoch_seconds"),
    (r"(?<!\.)\bstr[fp]time\s*\(", "strftime/strptime: a dispatch macro"),
    (r"\blist\s*\(", "list(): collect_list / a dispatch macro"),
    (r"\bpg_timezone_names\s*\(", "pg_timezone_names(): the time-zone seed"),
    (r"\bduckdb_\w+\s*\(", "DuckDB catalogue functions: adapter methods"),
]
HEX_CAST = re.compile(r"'0x'\s*\|\|", re.IGNORECASE)

MACRO = re.compile(r"{%-?\s*macro\s+(\w+)\s*\(.*?%}(.*?){%-?\s*endmacro\s*-?%}", re.DOTALL)


def _blank(match: re.Match) -> str:
    """Keep line numbers: replace text by as many newlines as it had."""
    return "\n" * match.group(0).count("\n")


def strip_comments(sql: str) -> str:
    sql = re.sub(r"{#.*?#}", _blank, sql, flags=re.DOTALL)
    sql = re.sub(r"/\*.*?\*/", _blank, sql, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", "", sql)


def strip_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def exempt_macros(sql: str) -> str:
    """Blank the bodies of the DuckDB side of dispatch macros and the DuckDB-only hooks."""

    def keep_or_blank(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith(("default__", "duckdb__")) or name in DUCKDB_ONLY_MACROS:
            return _blank(match)
        return match.group(0)

    return MACRO.sub(keep_or_blank, sql)


def findings(sql: str) -> list[tuple[int, str, str]]:
    """(line, offending text, advice) for every DuckDB-only construct outside exempt macros."""
    # a Jinja expression ({{ dbt.datediff(...) }}, {{ regexp_full_match(...) }}) is a macro call, not SQL
    # Jinja statements ({% macro regexp_full_match(...) %}, {% set ... %}) are not SQL either
    code = re.sub(r"{{.*?}}|{%.*?%}", _blank, exempt_macros(strip_comments(sql)), flags=re.DOTALL)
    found = []
    for match in HEX_CAST.finditer(code):
        found.append((code.count("\n", 0, match.start()) + 1, match.group(0), "'0x' || hex: hex_to_bigint"))
    code = strip_strings(code)
    for pattern, advice in RULES:
        for match in re.finditer(pattern, code, flags=re.IGNORECASE):
            found.append((code.count("\n", 0, match.start()) + 1, match.group(0), advice))
    return sorted(found)


def sql_files() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (REPO / folder).rglob("*.sql"))


def test_the_sql_layer_has_no_duckdb_only_syntax_outside_dispatch_macros():
    problems = [
        f"{path.relative_to(REPO)}:{line}: {text!r} -> {advice}"
        for path in sql_files()
        for line, text, advice in findings(path.read_text())
        if (str(path.relative_to(REPO)), text.lower()) not in ALLOWED
    ]
    assert not problems, "DuckDB-only SQL outside a dispatch macro:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("select cast(x as varchar) from t", "varchar"),
        ("select * exclude (a) from t", "exclude"),
        ("select a from t union all by name select a from u", "by name"),
        ("select ts + to_days(3) from t", "to_days("),
        ("select arg_max(a, b) from t", "arg_max("),
        ("select sha256(email) from t", "sha256("),
        ("select cast(('0x' || h) as bigint) from t", "'0x' ||"),
        ("select hash(source) from t", "hash("),
        ("select timezone('UTC', ts) from t", "timezone("),
        ("{% macro f(x) %} unnest({{ x }}) {% endmacro %}", "unnest("),
    ],
)
def test_the_check_finds_duckdb_only_constructs(sql, expected):
    assert any(expected.lower() in text.lower() for _, text, _ in findings(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "{% macro default__sha256_hex(x) %} sha256({{ x }}) {% endmacro %}",
        "{% macro duckdb__f(x) %} cast(x as varchar) {% endmacro %}",
        "select cast(x as {{ dbt.type_string() }}) from t -- not varchar",
        "select 'unnest(' as label, max_by(a, b) from t {# to_days( in a comment #}",
        "select cast(x as varchar(20)) from t",
        "select {{ regexp_full_match('email', pattern) }}, {{ dbt.datediff('a', 'b', 'day') }} from t",
    ],
)
def test_dispatch_defaults_comments_and_strings_are_exempt(sql):
    assert findings(sql) == []
