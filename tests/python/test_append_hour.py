"""scripts/demo_data/hour.py: one more hour of events lands as new Parquet parts, for known contacts only."""

from __future__ import annotations

import hashlib
import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from demo_data.hour import TABLES, append_hour, data_end
from generate_demo_data import GeneratorConfig, generate

END = "2026-11-01"
HOUR = datetime(2026, 11, 1)
# The raw contract's columns of each table the hour adds to (shared raw-contract.md).
CONTRACT = {
    "web_events": ["event_id", "anonymous_id", "contact_id", "email", "event_type", "product_id", "occurred_at"],
    "email_events": ["event_id", "email", "campaign_id", "event_type", "occurred_at", "url"],
    "orders": ["order_id", "contact_id", "email", "ordered_at", "status", "currency"],
    "order_items": ["order_id", "product_id", "quantity", "unit_price"],
}


def _digests(raw: Path) -> dict[str, str]:
    return {str(p.relative_to(raw)): hashlib.sha256(p.read_bytes()).hexdigest() for p in raw.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two chunks of 1,500 contacts: every table as Parquet parts, as a large run writes them."""
    raw = tmp_path_factory.mktemp("hour") / "raw"
    generate(GeneratorConfig(contacts=3_000, products=200, end_date=END), raw, None, chunk_contacts=1_500)
    return raw


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def test_the_hour_is_new_parts_of_known_contacts(generated: Path, tmp_path: Path) -> None:
    raw = _copy(generated, tmp_path / "raw")
    before = _digests(raw)
    assert data_end(raw) == HOUR

    hour = append_hour(raw, seed=7, rate=20)  # 20 times as busy as of late: enough rows to check

    assert hour.start == HOUR
    after = _digests(raw)
    assert {k: after[k] for k in before} == before, "an existing file changed"
    assert set(after) - set(before) == {f"{t}/hour-20261101T00.parquet" for t in TABLES}
    crm = pd.read_parquet(raw / "crm_contacts")
    contact_ids = set(crm["contact_id"].dropna())
    emails = set(crm["email"].dropna().str.strip().str.lower())
    frames = {t: pd.read_parquet(hour.files[t]) for t in TABLES}
    for table, frame in frames.items():
        assert list(frame.columns) == CONTRACT[table]
        assert len(frame) == hour.rows[table]
    assert all(hour.rows[t] > 0 for t in ("web_events", "email_events", "orders")), hour.rows
    for table, column in (("web_events", "occurred_at"), ("email_events", "occurred_at"), ("orders", "ordered_at")):
        at = _utc(frames[table][column])
        assert at.min() >= pd.Timestamp(HOUR, tz="UTC")
        assert at.max() < pd.Timestamp("2026-11-01 01:00", tz="UTC")
        ids = frames[table]["order_id" if table == "orders" else "event_id"]
        assert ids.is_unique
        assert not ids.isin(pd.read_parquet(generated / table)[ids.name]).any()
    web = frames["web_events"]
    devices = set(pd.read_parquet(generated / "web_events").query("contact_id in @contact_ids")["anonymous_id"])
    assert set(web["contact_id"].dropna()) <= contact_ids
    assert set(web.loc[web["contact_id"].isna(), "anonymous_id"]) <= devices
    assert set(frames["orders"]["contact_id"]) <= contact_ids
    assert set(frames["email_events"]["email"].str.strip().str.lower()) <= emails
    assert not frames["email_events"]["event_type"].str.lower().isin(["sent", "delivered", "bounce"]).any()
    assert set(frames["order_items"]["order_id"]) == set(frames["orders"]["order_id"])
    # every part of a table reads as one table (the types match the generator's parts)
    for table in TABLES:
        assert len(pd.read_parquet(raw / table)) == len(pd.read_parquet(generated / table)) + hour.rows[table]


def test_same_seed_same_rows_and_an_hour_is_appended_once(generated: Path, tmp_path: Path) -> None:
    one, two = _copy(generated, tmp_path / "one"), _copy(generated, tmp_path / "two")
    a, b = append_hour(one, HOUR, seed=3), append_hour(two, HOUR, seed=3)
    for table in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(a.files[table]), pd.read_parquet(b.files[table]))
    with pytest.raises(FileExistsError):
        append_hour(one, HOUR, seed=3)
    nxt = append_hour(one, datetime(2026, 11, 1, 1), seed=3)
    assert nxt.files["web_events"].name == "hour-20261101T01.parquet"


def test_a_single_file_moves_into_parts_unchanged_and_csv_is_refused(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(GeneratorConfig(contacts=1_000, products=200, end_date=END), raw, None)  # one chunk: one file a table
    digest = hashlib.sha256((raw / "web_events.parquet").read_bytes()).hexdigest()
    append_hour(raw, HOUR)
    assert not (raw / "web_events.parquet").exists()
    assert hashlib.sha256((raw / "web_events" / "part-00000.parquet").read_bytes()).hexdigest() == digest

    csv = tmp_path / "csv"
    generate(GeneratorConfig(contacts=1_000, products=200, end_date=END, fmt="csv"), csv, None)
    before = _digests(csv)
    with pytest.raises(ValueError, match="CSV"):
        append_hour(csv, HOUR)
    assert _digests(csv) == before
