"""Runs the sources in their fixed order and writes the raw tables and the truth."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from . import email, experiments, people, shop, web
from .context import Context, GeneratorConfig, Truth


class Generator:
    """Builds every raw table as a pandas frame; ``write`` saves them."""

    def __init__(self, cfg: GeneratorConfig) -> None:
        self.cfg = cfg
        self.ctx = Context(cfg)
        self.truth: Truth = self.ctx.truth
        self.tables: dict[str, pd.DataFrame] = self.ctx.tables
        self.people: pd.DataFrame | None = None

    def run(self) -> dict[str, pd.DataFrame]:
        # The order is the order of draws from the one random stream: changing it changes every table.
        ctx = self.ctx
        catalogue = shop.make_products(ctx)
        self.people = people.make_people(ctx)
        people.make_crm(ctx, self.people)
        plan = experiments.plan_experiments(ctx, self.people)
        history = shop.make_orders(ctx, self.people, catalogue, plan.free_shipping)
        web.make_web_events(ctx, self.people, catalogue, history)
        email.make_email(ctx, self.people, catalogue)
        experiments.make_assignments(ctx, self.people, plan)
        t = self.truth
        t.n_crm_people = len(self.people)
        t.n_people = t.n_crm_people + t.n_anonymous_people + t.n_guest_people + t.n_ghost_people
        t.raw_rows = {k: len(v) for k, v in self.tables.items()}
        return self.tables

    def people_truth(self) -> pd.DataFrame:
        if self.people is None:
            raise RuntimeError("people_truth() needs run() first")
        return people.people_truth(self.people)


PARQUET_TABLES = {"orders", "order_items", "web_events", "email_events"}


def write(tables: dict[str, pd.DataFrame], out: Path, fmt: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        for old in out.glob(f"{name}.*"):
            old.unlink()
        as_parquet = fmt == "parquet" or (fmt == "mixed" and name in PARQUET_TABLES)
        if as_parquet:
            df.to_parquet(out / f"{name}.parquet", index=False)
        else:
            df.to_csv(out / f"{name}.csv", index=False)


def generate(cfg: GeneratorConfig, out: Path, truth_out: Path | None) -> Truth:
    gen = Generator(cfg)
    tables = gen.run()
    write(tables, out, cfg.fmt)
    if truth_out is not None:
        truth_out.mkdir(parents=True, exist_ok=True)
        gen.people_truth().to_parquet(truth_out / "people.parquet", index=False)
        (truth_out / "truth.json").write_text(json.dumps(asdict(gen.truth), indent=2, default=str))
    return gen.truth
