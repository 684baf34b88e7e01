"""Generate the country and time-zone lookup seeds from pycountry and the IANA list.

On DuckDB, base_crm__contacts reads countries with the Python UDF
normalize_country (python_udfs/countries.py, pycountry) and time zones with
pg_timezone_names(). Engines without the UDF (Spark) join these seeds instead,
so the seeds are generated from the same sources and stay maintained: run this
script after upgrading pycountry or the system's tzdata, and commit the result.

    .venv/bin/python scripts/generate_lookup_seeds.py [--check]

Writes:
  seeds/country_names.csv         every spelling normalize_country decides
                                  without a substring search (ISO codes, numeric
                                  codes, names, official and common names, name
                                  initials, subdivision names and codes), folded
                                  as it folds them, with the code it returns
                                  (empty where it returns none: ambiguous).
  seeds/country_search_names.csv  the texts its fuzzy step searches for a
                                  substring (country names, official names,
                                  comments, subdivision names), lowercased and
                                  without accents, with their country.
  seeds/time_zones.csv            the IANA time-zone names (zoneinfo).
  macros/cross_db/ascii_fold.sql  normalize_country's fold (NFKD, ASCII only) as
                                  Spark SQL: the characters of the Latin, general
                                  punctuation and fullwidth blocks that fold to
                                  ASCII, as translate()/replace() arguments.

--check exits 1 when a committed seed differs from what would be written.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import unicodedata
import zoneinfo
from pathlib import Path

import pycountry
from pycountry import remove_accents

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from python_udfs.countries import _fold, normalize_country

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
FOLD_MACRO = ROOT / "macros" / "cross_db" / "ascii_fold.sql"
# the blocks whose characters the Spark fold spells in ASCII; any other
# non-ASCII character is dropped there (Python keeps the ASCII form of a few)
FOLD_BLOCKS = [(0x00A0, 0x0250), (0x1E00, 0x1F00), (0x2000, 0x2070), (0xFF00, 0xFFF0)]


def _initials(value: str) -> str:
    # as pycountry's search_fuzzy reads them: the capitals of a name
    return remove_accents("".join(c for c in value if c.isupper()).lower())


def country_names() -> list[tuple[str, str]]:
    """Each folded spelling with normalize_country's answer ('' for none)."""
    keys: set[str] = set()
    for country in pycountry.countries:
        for field, value in country._fields.items():
            if value is None or field == "flag":
                continue
            keys.add(_fold(value))
            if field in ("name", "official_name", "comment"):
                keys.add(_initials(value))
    for subdivision in pycountry.subdivisions:
        for value in subdivision._fields.values():
            if value is None:
                continue
            for part in remove_accents(value.lower()).split(";"):
                # search_fuzzy compares them with an ASCII-folded query: only a
                # spelling that is its own fold can ever be equal to one
                if part and _fold(part) == part:
                    keys.add(part)
    keys.discard("")
    return sorted((key, normalize_country(key) or "") for key in keys)


def country_search_names() -> list[tuple[str, str]]:
    texts: set[tuple[str, str]] = set()
    for country in pycountry.countries:
        for field in ("name", "official_name", "comment"):
            value = country._fields.get(field)
            if value is not None:
                texts.add((remove_accents(value.lower()), country.alpha_2))
    for subdivision in pycountry.subdivisions:
        texts.add((remove_accents(subdivision.name.lower()), subdivision.country_code))
    return sorted(texts)


def time_zones() -> list[tuple[str]]:
    # 'localtime' is the system's own link, not an IANA name
    return [(name,) for name in sorted(zoneinfo.available_timezones() - {"localtime"})]


def fold_macro() -> str:
    singles, multiples = [], []
    for start, end in FOLD_BLOCKS:
        for point in range(start, end):
            char = chr(point)
            folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
            if not folded or "'" in folded or "\\" in folded:
                continue  # dropped (a quote or backslash would need escaping: none is a letter)
            (singles if len(folded) == 1 else multiples).append((char, folded))
    text = "translate({{ expression }}, '" + "".join(c for c, _ in singles) + "', '"
    text += "".join(f for _, f in singles) + "')"
    for char, folded in multiples:
        text = f"replace({text}, '{char}', '{folded}')"
    return (
        "{#- Generated by scripts/generate_lookup_seeds.py: do not edit.\n"
        "    normalize_country's fold (python_udfs/countries.py) in SQL without Unicode\n"
        "    normalisation (Spark): the characters of blocks "
        + ", ".join(f"U+{a:04X}-U+{b - 1:04X}" for a, b in FOLD_BLOCKS)
        + "\n    as their NFKD ASCII form, every other non-ASCII character dropped (Python\n"
        "    keeps the ASCII form of a few, e.g. circled or superscript letters),\n"
        "    whitespace runs as one space, trimmed, lowercase; empty is null. -#}\n"
        "{% macro ascii_fold(expression) -%}\n"
        "    nullif(trim(lower(regexp_replace(regexp_replace(\n"
        f"        {text},\n"
        "        '[^\\\\x00-\\\\x7F]', ''), '[\\\\s\\\\x1C-\\\\x1F]+', ' '))), '')\n"
        "{%- endmacro %}\n"
    )


def render(header: list[str], rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed seeds, write nothing")
    args = parser.parse_args()
    seeds = {
        "country_names.csv": render(["spelling", "country_code"], country_names()),
        "country_search_names.csv": render(["search_text", "country_code"], country_search_names()),
        "time_zones.csv": render(["time_zone"], time_zones()),
    }
    outputs = {SEEDS / name: text for name, text in seeds.items()}
    outputs[FOLD_MACRO] = fold_macro()
    stale = []
    for path, text in outputs.items():
        name = path.name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path} ({text.count(chr(10)) - 1} rows)")
    if stale:
        print("out of date (run scripts/generate_lookup_seeds.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
