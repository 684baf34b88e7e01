"""Country normalisation to ISO 3166-1 alpha-2, backed by pycountry.

pycountry ships the ISO 3166 tables (names, official names, common names,
alpha-2/alpha-3 codes) and is updated when ISO changes them, so the project does
not keep its own copy. Colloquial aliases that ISO does not list (UK, EIRE,
Holland...) live in seeds/country_aliases.csv, which SQL applies before this.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pycountry


def _fold(value: str) -> str:
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", text).strip().lower()


@lru_cache(maxsize=4096)
def normalize_country(value: str | None) -> str | None:
    """Return the ISO 3166-1 alpha-2 code for a code, name or alias, else None.

    >>> normalize_country(" gb "), normalize_country("DEU"), normalize_country("Germany")
    ('GB', 'DE', 'DE')
    """
    if value is None:
        return None
    folded = _fold(value)
    if not folded:
        return None
    if len(folded) == 2 and folded.isalpha():
        found = pycountry.countries.get(alpha_2=folded.upper())
        return found.alpha_2 if found else None
    if len(folded) == 3 and folded.isalpha():
        found = pycountry.countries.get(alpha_3=folded.upper())
        if found:
            return found.alpha_2
    try:
        return pycountry.countries.lookup(folded).alpha_2
    except LookupError:
        pass
    try:
        matches = pycountry.countries.search_fuzzy(folded)
    except LookupError:
        return None
    # Only accept an unambiguous fuzzy match: one candidate.
    return matches[0].alpha_2 if len(matches) == 1 else None


def normalize_countries(values: list[str | None]) -> list[str | None]:
    """Vectorised form used by the DuckDB UDF (one call per batch)."""
    return [normalize_country(v) for v in values]
