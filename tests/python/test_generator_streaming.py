"""The demo generator streams large runs chunk by chunk (issue 15): parts add up, memory holds one chunk,
and a run that fits in one chunk is the same bytes as before streaming existed."""

import gc
import hashlib
import json
import weakref
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from demo_data import generator as generator_module
from demo_data.generator import chunk_sizes
from generate_demo_data import GeneratorConfig, generate

CHUNKED = {"crm_contacts", "orders", "order_items", "web_events", "email_events"} | {
    "email_subscriptions",
    "experiment_assignments",
}


def _cfg(contacts: int, seed: int = 5, fmt: str = "mixed") -> GeneratorConfig:
    return GeneratorConfig(contacts=contacts, days=120, products=60, seed=seed, end_date="2026-01-01", fmt=fmt)


@pytest.fixture(scope="module")
def three_chunks(tmp_path_factory) -> tuple[Path, Path, dict]:
    root = tmp_path_factory.mktemp("streamed")
    generate(_cfg(1_200), root / "raw", root / "truth", chunk_contacts=400)
    return root / "raw", root / "truth", json.loads((root / "truth" / "truth.json").read_text())


def _read(raw: Path, table: str) -> pd.DataFrame:
    if (raw / table).is_dir():
        return pq.read_table(raw / table).to_pandas()
    if (raw / f"{table}.parquet").exists():
        return pd.read_parquet(raw / f"{table}.parquet")
    return pd.read_csv(raw / f"{table}.csv")


def test_each_chunked_table_is_one_part_per_chunk_with_one_schema(three_chunks):
    raw, _, _ = three_chunks
    for table in CHUNKED:
        parts = sorted((raw / table).glob("*.parquet"))
        assert [p.name for p in parts] == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"], table
        assert not list(raw.glob(f"{table}.*")), f"{table} has one form only"
        schemas = {str(pq.read_schema(p).remove_metadata()) for p in parts}
        assert len(schemas) == 1, f"{table} parts disagree on types: {schemas}"
    for table in ("products", "campaigns"):
        assert (raw / f"{table}.csv").exists()
        assert not (raw / table).exists()


def test_the_union_of_parts_matches_the_truth(three_chunks):
    raw, truth_dir, truth = three_chunks
    for table, rows in truth["raw_rows"].items():
        assert len(_read(raw, table)) == rows, table
    assert truth["n_crm_people"] == 1_200
    assert truth["n_people"] == 1_200 + truth["n_anonymous_people"] + truth["n_guest_people"] + truth["n_ghost_people"]
    people = pd.read_parquet(truth_dir / "people.parquet")
    assert len(people) == 1_200
    assert people["person_id"].is_unique
    assert people["contact_id"].is_unique
    crm = _read(raw, "crm_contacts")
    assert set(crm["contact_id"].dropna()) == set(people["contact_id"]) | {truth["shared_email_contact_ids"][1]}
    # dirty rows add up over chunks: every kind of every table counted once per chunk it was planted in
    assert len(crm) == 1_200 + sum(truth["dirty_rows"]["crm_contacts"].values())
    assert truth["dirty_rows"]["crm_contacts"]["shared_email_records"] == 1


def test_ids_never_repeat_across_chunks(three_chunks):
    raw, _, _ = three_chunks

    def per_part(table: str, column: str, prefix: str = "") -> list[set]:
        out = []
        for part in sorted((raw / table).glob("*.parquet")):
            col = pd.read_parquet(part, columns=[column])[column].dropna().str.strip().str.lower()
            col = col[col.str.startswith(prefix)].str.split("-").str[0]  # dirt tags (-s, -f...) name the same row
            out.append(set(col))
        return out

    for table, column, prefix in (
        ("orders", "order_id", ""),
        ("web_events", "event_id", ""),
        ("email_events", "event_id", ""),
        ("orders", "email", "guest."),  # guest checkouts
        ("orders", "contact_id", "x"),  # contact ids the CRM lacks
        ("web_events", "anonymous_id", "v"),  # visitors who never identify
    ):
        parts = per_part(table, column, prefix)
        assert all(parts), f"every chunk has {table}.{column} {prefix}*"
        assert sum(len(p) for p in parts) == len(set().union(*parts)), f"{table}.{column} repeats across chunks"


def test_planted_once_phenomena_stay_once_and_experiments_add_up(three_chunks):
    raw, _, truth = three_chunks
    crm = _read(raw, "crm_contacts")
    shared = crm[crm["email"].fillna("").str.strip().str.lower() == truth["shared_email"]]
    assert set(shared["contact_id"]) == set(truth["shared_email_contact_ids"])
    assert truth["shared_email_contact_ids"][1] == "C0001201", "the second record's id follows every chunk's"
    assigned = _read(raw, "experiment_assignments")
    nobody = assigned["contact_id"].isna() & assigned["email"].isna()
    assert nobody.sum() == 1, "one assignment names nobody, as in a one-chunk run"
    counts = assigned[~nobody]["experiment_id"].value_counts()
    assert {e["experiment_id"]: e["units"] for e in truth["experiments"]} == counts.to_dict()
    assert (_read(raw, "products")["product_id"].dropna().nunique()) == 60
    campaigns = _read(raw, "campaigns")
    assert set(_read(raw, "email_events")["campaign_id"]) <= set(campaigns["campaign_id"])


def test_memory_holds_one_chunk_at_a_time(tmp_path, monkeypatch):
    """Structural: when a chunk starts, no frame of any earlier chunk is still alive."""
    gen_class = generator_module.Generator
    earlier: list[tuple[int, weakref.ref]] = []
    started: list[int] = []
    original_run = gen_class.run

    def run(self):
        gc.collect()
        alive = [k for k, ref in earlier if ref() is not None]
        assert not alive, f"chunk {self.ctx.chunk.index} started while frames of chunks {sorted(set(alive))} live"
        started.append(self.ctx.chunk.index)
        tables = original_run(self)
        earlier.extend((self.ctx.chunk.index, weakref.ref(df)) for df in [*tables.values(), self.people])
        earlier.append((self.ctx.chunk.index, weakref.ref(self)))
        return tables

    monkeypatch.setattr(gen_class, "run", run)
    truth = generate(_cfg(900, seed=9), tmp_path / "raw", tmp_path / "truth", chunk_contacts=300)
    assert started == [0, 1, 2]
    assert truth.n_crm_people == 900
    gc.collect()
    assert all(ref() is None for _, ref in earlier), "generate() keeps no chunk after returning"


def test_chunks_are_as_few_as_fit_and_evenly_sized():
    assert chunk_sizes(5_000, 50_000) == [5_000]
    assert chunk_sizes(1_000_000, 50_000) == [50_000] * 20
    sizes = chunk_sizes(100_001, 50_000)
    assert sizes == [33_334, 33_334, 33_333], "no chunk of one contact at the end"
    assert sum(chunk_sizes(12_345, 1_000)) == 12_345
    assert max(chunk_sizes(12_345, 1_000)) <= 1_000


def test_csv_format_appends_chunks_to_one_file(tmp_path):
    truth = generate(_cfg(600, fmt="csv"), tmp_path / "raw", None, chunk_contacts=250)
    for table, rows in truth.raw_rows.items():
        assert not (tmp_path / "raw" / table).exists()
        assert len(pd.read_csv(tmp_path / "raw" / f"{table}.csv")) == rows, table


def test_a_smaller_run_replaces_the_parts(tmp_path):
    generate(_cfg(600), tmp_path / "raw", None, chunk_contacts=200)
    assert (tmp_path / "raw" / "orders").is_dir()
    generate(_cfg(600), tmp_path / "raw", None)
    assert not (tmp_path / "raw" / "orders").exists()
    assert (tmp_path / "raw" / "orders.parquet").exists()


# sha256 of the files the generator wrote for _cfg(600, fmt="csv") before it streamed (commit 55f0d42);
# CSV and JSON, whose bytes do not depend on the Parquet library's version
BEFORE_STREAMING = {
    "raw/campaigns.csv": "f4a7cab1ac55c90d7f4fa22a0b8d85e205a04eda7427ad572f582eead970419a",
    "raw/crm_contacts.csv": "a05ae31a40a4bc045060cbda63f1605a3e66493ca996211f57a5d21eaab03a78",
    "raw/email_events.csv": "c93efed8927dc8d45002b698cc08bad5ec626132dfb3f3c71a94c7195d615367",
    "raw/email_subscriptions.csv": "753278e1ee28dbc39e9d0cab5e18a542d02aea338760a89235dc8e92f22e0283",
    "raw/experiment_assignments.csv": "aa571232661ffa3bc3d152affc8ecf07c79ed5a43e6c4b4fcd47715d588b4a0a",
    "raw/order_items.csv": "54c934b4ba0963696e0c524406dd3e2cdd52fa2083d6e4fb97f91f2c648ba7ea",
    "raw/orders.csv": "d40eba2e2308962f00379cd82ef81e9a1d78ab765d46a8349c8852b9f9ddd95a",
    "raw/products.csv": "69b99a79b94c1ea34432b02a850d365d809210180ecdc7c7df4266bb8bcab2d0",
    "raw/web_events.csv": "564ba162e04a9e7d90eb4344b61b6b865554510ff75601b47a7196836c1b2819",
    "truth/truth.json": "5ed9033a837fd332ecf532a5ce3eca5aa42666dc0cd1af61b3a40fb16b33aa1a",
    # people.parquet read back and written as CSV
    "truth/people.csv": "cecf80126f9563491793a64e4d982166d3b769f60fb1227b49da5712b833dddf",
}


@pytest.mark.parametrize("chunk_contacts", [600, 50_000])
def test_a_run_of_one_chunk_is_byte_identical_to_before_streaming(tmp_path, chunk_contacts):
    generate(_cfg(600, fmt="csv"), tmp_path / "raw", tmp_path / "truth", chunk_contacts=chunk_contacts)
    people = pd.read_parquet(tmp_path / "truth" / "people.parquet").to_csv(index=False).encode()
    got = {
        name: hashlib.sha256(people if name == "truth/people.csv" else (tmp_path / name).read_bytes()).hexdigest()
        for name in BEFORE_STREAMING
    }
    assert got == BEFORE_STREAMING
