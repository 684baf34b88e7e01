"""Append one hour of new events to the raw data (scripts/demo_data/hour.py): what an hourly loader lands next.

python scripts/append_demo_hour.py --raw data/raw              # the hour after the data's end
python scripts/append_demo_hour.py --raw data/raw --start 2026-11-01T01:00
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from demo_data.hour import append_hour


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw", type=Path, default=Path("data/raw"), help="the raw folder (RAW_DATA_DIR)")
    ap.add_argument("--start", type=datetime.fromisoformat, default=None,
                    help="the hour's start, UTC (default: the hour after the latest web event)")  # fmt: skip
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--window-days", type=int, default=28, help="the hour is as busy as an average hour of these days")
    a = ap.parse_args(argv)
    hour = append_hour(a.raw, a.start, seed=a.seed, window_days=a.window_days)
    rows = ", ".join(f"{t}={n:,}" for t, n in hour.rows.items())
    print(f"appended the hour {hour.start:%Y-%m-%d %H:%M} UTC to {a.raw}: {rows}")


if __name__ == "__main__":
    main()
