"""The command line ``make data`` runs (through scripts/generate_demo_data.py)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from .context import GeneratorConfig
from .generator import CHUNK_CONTACTS, chunk_sizes, generate

DESCRIPTION = "Deterministic demo-data generator for the raw contract (shared/raw-contract.md)."


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=DESCRIPTION)
    ap.add_argument("--contacts", type=int, default=GeneratorConfig.contacts)
    ap.add_argument("--days", type=int, default=GeneratorConfig.days, help="days of history")
    ap.add_argument("--products", type=int, default=None, help="default: 200, or contacts/20 up to 5000")
    ap.add_argument("--seed", type=int, default=GeneratorConfig.seed)
    ap.add_argument("--end-date", default=None, help="last day of history (default: today, UTC)")
    ap.add_argument("--format", dest="fmt", choices=["mixed", "csv", "parquet"], default="mixed")
    ap.add_argument("--out", type=Path, default=Path("data/raw"))
    ap.add_argument("--truth-out", type=Path, default=Path("data/truth"))
    ap.add_argument(
        "--chunk-contacts",
        type=int,
        default=CHUNK_CONTACTS,
        help=f"at most this many contacts generated at a time (default {CHUNK_CONTACTS:,}); more are written "
        "chunk by chunk, as Parquet parts <table>/part-NNNNN.parquet (CSV rows appended with --format csv)",
    )
    a = ap.parse_args(argv)
    products = a.products or max(200, min(5000, a.contacts // 20))
    end = a.end_date or datetime.now(UTC).date().isoformat()
    cfg = GeneratorConfig(contacts=a.contacts, days=a.days, products=products, seed=a.seed, end_date=end, fmt=a.fmt)
    truth = generate(cfg, a.out, a.truth_out, chunk_contacts=a.chunk_contacts)
    total = sum(truth.raw_rows.values())
    n_chunks = len(chunk_sizes(a.contacts, a.chunk_contacts))
    parts = f" in {n_chunks} chunks" if n_chunks > 1 else ""
    print(f"wrote {total:,} raw rows to {a.out}{parts} ({', '.join(f'{k}={v:,}' for k, v in truth.raw_rows.items())})")
    print(f"planted people: {truth.n_people:,}; truth in {a.truth_out}")
