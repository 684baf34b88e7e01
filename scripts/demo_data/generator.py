"""Runs the sources in their fixed order and writes the raw tables and the truth, in chunks of contacts when large."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import email, experiments, people, shop, web
from .context import Chunk, Context, GeneratorConfig, IdBase, Truth

# Contacts generated at a time by ``generate``: one chunk holds every frame of its
# contacts (about 0.6 GB at 50,000); a run of at most this many is one chunk.
CHUNK_CONTACTS = 50_000
# Generated once, by the first chunk, and written as single files whatever the size.
GLOBAL_TABLES = {"products", "campaigns"}


class Generator:
    """Builds every raw table of one chunk of contacts (by default all of them) as pandas frames."""

    def __init__(self, cfg: GeneratorConfig, chunk: Chunk | None = None, catalogue: shop.Catalogue | None = None):
        self.cfg = cfg
        self.ctx = Context(cfg, chunk)
        self.truth: Truth = self.ctx.truth
        self.tables: dict[str, pd.DataFrame] = self.ctx.tables
        self.people: pd.DataFrame | None = None
        self.catalogue = catalogue

    def run(self) -> dict[str, pd.DataFrame]:
        # The order is the order of draws from the one random stream: changing it changes every table.
        ctx = self.ctx
        first = ctx.chunk.index == 0
        if first:
            self.catalogue = shop.make_products(ctx)
        elif self.catalogue is None:
            raise ValueError("a chunk after the first needs the first chunk's catalogue")
        catalogue = self.catalogue
        self.people = people.make_people(ctx)
        people.make_crm(ctx, self.people)
        plan = experiments.plan_experiments(ctx, self.people)
        history = shop.make_orders(ctx, self.people, catalogue, plan.free_shipping)
        web.make_web_events(ctx, self.people, catalogue, history)
        email.make_email(ctx, self.people, catalogue)
        experiments.make_assignments(ctx, self.people, plan)
        if not first:
            # the campaigns are the same for every chunk: the first chunk's are the table
            del self.tables["campaigns"]
        t = self.truth
        t.n_crm_people = len(self.people)
        t.n_people = t.n_crm_people + t.n_anonymous_people + t.n_guest_people + t.n_ghost_people
        t.raw_rows = {k: len(v) for k, v in self.tables.items()}
        return self.tables

    def people_truth(self) -> pd.DataFrame:
        if self.people is None:
            raise RuntimeError("people_truth() needs run() first")
        return people.people_truth(self.people)


def chunk_sizes(contacts: int, chunk_contacts: int) -> list[int]:
    """As few chunks of at most ``chunk_contacts`` as cover ``contacts``, evenly sized.

    Even sizes keep the last chunk from being a handful of contacts, too few for
    every kind of dirt to find its rows.
    """
    if chunk_contacts < 1:
        raise ValueError("chunk_contacts must be at least 1")
    n = max(1, math.ceil(contacts / chunk_contacts))
    size, rest = divmod(contacts, n)
    return [size + (k < rest) for k in range(n)]


def chunks(cfg: GeneratorConfig, chunk_contacts: int = CHUNK_CONTACTS) -> Iterator[Generator]:
    """One run ``Generator`` per chunk of contacts, in order; each starts its ids after the previous one's.

    Only the catalogue (a few thousand products) is carried from chunk to chunk.
    A caller that drops each chunk before asking for the next holds one chunk at a time.
    """
    base, catalogue = IdBase(), None
    for k, size in enumerate(chunk_sizes(cfg.contacts, chunk_contacts)):
        gen = Generator(cfg, Chunk(index=k, contacts=size, total_contacts=cfg.contacts, base=base), catalogue)
        gen.run()
        base, catalogue = base.after(gen.ctx.used), gen.catalogue
        yield gen
        del gen  # the caller's reference is the only one left while the next chunk is built


def merge_truth(total: Truth, part: Truth) -> None:
    """Add one chunk's truth to the run's: counts add up, what the first chunk planted is kept."""
    if not total.config:
        for name in ("config", "shared_email", "shared_email_contact_ids", "complements", "repeat_categories"):
            setattr(total, name, getattr(part, name))
        total.experiments = [dict(e) for e in part.experiments]
    else:
        for mine, theirs in zip(total.experiments, part.experiments, strict=True):
            mine["units"] += theirs["units"]
            mine["units_treatment"] += theirs["units_treatment"]
    for name in ("n_people", "n_crm_people", "n_anonymous_people", "n_guest_people", "n_ghost_people"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    for table, rows in part.raw_rows.items():
        total.raw_rows[table] = total.raw_rows.get(table, 0) + rows
    for table, kinds in part.dirty_rows.items():
        mine = total.dirty_rows.setdefault(table, {})
        for kind, rows in kinds.items():
            mine[kind] = mine.get(kind, 0) + rows


PARQUET_TABLES = {"orders", "order_items", "web_events", "email_events"}


def _clear(out: Path, name: str) -> None:
    """Remove every earlier form of a table (the raw contract wants exactly one)."""
    for old in out.glob(f"{name}.*"):
        old.unlink()
    if (out / name).is_dir():
        shutil.rmtree(out / name)


def write(tables: dict[str, pd.DataFrame], out: Path, fmt: str) -> None:
    """Each table as one file, ``<table>.parquet`` or ``<table>.csv`` as ``fmt`` says."""
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        _clear(out, name)
        as_parquet = fmt == "parquet" or (fmt == "mixed" and name in PARQUET_TABLES)
        if as_parquet:
            df.to_parquet(out / f"{name}.parquet", index=False)
        else:
            df.to_csv(out / f"{name}.csv", index=False)


class _Schemas:
    """The first chunk's Arrow schema of each table (null columns as strings), which later chunks cast to,
    so that every part of a table, and every row group of a file, has the same types."""

    def __init__(self) -> None:
        self.by_name: dict[str, pa.Schema] = {}

    def arrow(self, name: str, df: pd.DataFrame) -> pa.Table:
        table = pa.Table.from_pandas(df, preserve_index=False)
        schema = self.by_name.get(name)
        if schema is None:
            fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
            schema = self.by_name[name] = pa.schema(fields, metadata=table.schema.metadata)
        return table.cast(schema)


class ChunkWriter:
    """Writes a multi-chunk run as it goes: one Parquet part per chunk and table (``<table>/part-00000.parquet``),
    or with ``fmt="csv"`` rows appended to ``<table>.csv``; the global tables as single files; the people truth
    appended to one Parquet file."""

    def __init__(self, out: Path, fmt: str, truth_out: Path | None) -> None:
        self.out, self.fmt, self.truth_out = out, fmt, truth_out
        self.schemas = _Schemas()
        self.started: set[str] = set()
        self.people: pq.ParquetWriter | None = None
        out.mkdir(parents=True, exist_ok=True)

    def write_chunk(self, gen: Generator) -> None:
        k = gen.ctx.chunk.index
        for name, df in gen.tables.items():
            if name in GLOBAL_TABLES:
                write({name: df}, self.out, self.fmt)
                continue
            if name not in self.started:
                _clear(self.out, name)
                self.started.add(name)
            if self.fmt == "csv":
                df.to_csv(self.out / f"{name}.csv", index=False, mode="a", header=k == 0)
            else:
                (self.out / name).mkdir(exist_ok=True)
                pq.write_table(self.schemas.arrow(name, df), self.out / name / f"part-{k:05d}.parquet")
        if self.truth_out is not None:
            truth = self.schemas.arrow("truth:people", gen.people_truth())
            if self.people is None:
                self.truth_out.mkdir(parents=True, exist_ok=True)
                self.people = pq.ParquetWriter(self.truth_out / "people.parquet", truth.schema)
            self.people.write_table(truth)

    def close(self) -> None:
        if self.people is not None:
            self.people.close()


def _write_truth(truth: Truth, truth_out: Path) -> None:
    truth_out.mkdir(parents=True, exist_ok=True)
    (truth_out / "truth.json").write_text(json.dumps(asdict(truth), indent=2, default=str))


def generate(cfg: GeneratorConfig, out: Path, truth_out: Path | None, chunk_contacts: int = CHUNK_CONTACTS) -> Truth:
    """Generate and write the raw tables and the truth; returns the truth.

    Up to ``chunk_contacts`` contacts: one chunk, every table one file (as ``write`` lays them out).
    More: chunk after chunk, each written before the next is built, so memory holds one chunk.
    """
    if len(chunk_sizes(cfg.contacts, chunk_contacts)) == 1:
        gen = Generator(cfg)
        tables = gen.run()
        write(tables, out, cfg.fmt)
        if truth_out is not None:
            truth_out.mkdir(parents=True, exist_ok=True)
            gen.people_truth().to_parquet(truth_out / "people.parquet", index=False)
            _write_truth(gen.truth, truth_out)
        return gen.truth
    total = Truth()
    writer = ChunkWriter(out, cfg.fmt, truth_out)
    try:
        for gen in chunks(cfg, chunk_contacts):
            writer.write_chunk(gen)
            merge_truth(total, gen.truth)
            del gen
    finally:
        writer.close()
    if truth_out is not None:
        _write_truth(total, truth_out)
    return total
