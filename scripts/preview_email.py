"""Render a sample personalised email for one contact from sync_mailchimp__members.

    python scripts/preview_email.py --email ava.1@example.com --out preview.html
    python scripts/preview_email.py            # the first member, to stdout
    PREVIEW_EMAIL="o'brien@example.com" python scripts/preview_email.py   # what `make preview` does

The address is only ever a bound query parameter, never pasted into SQL or a shell.

Reads the warehouse at DUCKDB_PATH (default data/warehouse.duckdb) read-only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from python_udfs.email_preview import load_template, render
from python_udfs.warehouse_lock import is_lock_error, lock_message


def member_fields(db_path: str, email: str | None) -> dict:
    if not Path(db_path).exists():
        raise SystemExit(f"no warehouse at {db_path}: run `make build` first (or set DUCKDB_PATH)")
    try:
        con = duckdb.connect(db_path, read_only=True)
    except duckdb.Error as exc:
        if is_lock_error(exc):
            raise SystemExit(lock_message(db_path, str(exc), writing=False)) from None
        raise
    with con:
        sql = "select * from exports.sync_mailchimp__members"
        rel = (
            con.execute(sql + " where email_address = ?", [email.strip().lower()])
            if email
            else con.execute(sql + " order by email_address limit 1")
        )
        names = [d[0] for d in rel.description]
        rows = rel.fetchall()
    if not rows:
        raise SystemExit(f"no contactable member {email!r} in sync_mailchimp__members (suppressed or unknown)")
    return dict(zip(names, rows[0], strict=True))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--email",
        default=os.environ.get("PREVIEW_EMAIL") or None,
        help="member's email (default: env PREVIEW_EMAIL, which `make preview EMAIL=...` sets, else the first member)",
    )
    ap.add_argument("--template", default="newsletter.html", help="a file in python_udfs/templates/")
    ap.add_argument("--db", default=os.environ.get("DUCKDB_PATH", "data/warehouse.duckdb"))
    ap.add_argument("--out", type=Path, default=None, help="write the HTML here (default: stdout)")
    a = ap.parse_args(argv)
    html = render(load_template(a.template), member_fields(a.db, a.email))
    if a.out:
        a.out.write_text(html, encoding="utf-8")
        print(f"wrote {a.out}", file=sys.stderr)
    else:
        sys.stdout.write(html)


if __name__ == "__main__":
    main()
