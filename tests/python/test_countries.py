import duckdb
import pyarrow as pa
import pytest

from python_udfs.countries import normalize_countries, normalize_country
from python_udfs.dbt_plugin import Plugin


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("GB", "GB"),
        (" gb ", "GB"),
        ("GBR", "GB"),
        ("United Kingdom", "GB"),
        ("DEU", "DE"),
        ("germany", "DE"),
        ("United States", "US"),
        ("USA", "US"),  # ISO-3
        ("Japan", "JP"),
        ("Türkiye", "TR"),
        ("Viet Nam", "VN"),
        ("Ireland", "IE"),
    ],
)
def test_codes_and_names_normalise_to_iso2(raw, expected):
    assert normalize_country(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "Narnia", "XX", "ZZZ", "Korea"])
def test_unknown_or_ambiguous_values_are_none(raw):
    # "Korea" matches both Koreas: an ambiguous fuzzy match is refused, not guessed
    assert normalize_country(raw) is None


def test_aliases_are_left_to_the_seed():
    # colloquial aliases live in seeds/country_aliases.csv, applied in SQL first
    assert normalize_country("EIRE") is None


def test_batch_form_keeps_order_and_nulls():
    assert normalize_countries(["DE", None, "France"]) == ["DE", None, "FR"]


def test_plugin_registers_a_vectorised_udf_on_duckdb():
    con = duckdb.connect()
    Plugin(name="udfs", plugin_config={}).configure_connection(con)
    rows = con.execute(
        "select normalize_country(x) from (values ('DEU'), (null), ('Japan'), ('nowhere')) as t (x)"
    ).fetchall()
    assert rows == [("DE",), (None,), ("JP",), (None,)]
    assert con.execute("select typeof(normalize_country('GB'))").fetchall() == [("VARCHAR",)]


def test_arrow_batch_of_a_thousand_rows():
    con = duckdb.connect()
    Plugin(name="udfs", plugin_config={}).configure_connection(con)
    table = pa.table({"c": ["GBR", "Germany", None, "US"] * 250})
    con.register("t", table)
    counts = dict(con.execute("select normalize_country(c), count(*) from t group by all").fetchall())
    assert counts == {"GB": 250, "DE": 250, None: 250, "US": 250}
