"""Read-only HTTP API over the published marts: personalisation ESPs fetch per recipient at send or open time.

`python -m personalization_api serve` (or `make serve`) serves what the last
successful build published (DUCKDB_PUBLISHED_PATH); docs/api.md describes it.
"""
