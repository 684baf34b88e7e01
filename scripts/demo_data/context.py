"""What every source shares: the configuration, one random stream, the time window, the truth and the tables."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

DAY = 86_400


@dataclass
class GeneratorConfig:
    contacts: int = 5_000
    days: int = 365
    products: int = 200
    seed: int = 42
    end_date: str = field(default_factory=lambda: datetime.now(UTC).date().isoformat())
    campaign_every_days: int = 14
    fmt: str = "mixed"  # mixed, csv or parquet


@dataclass
class Truth:
    n_people: int = 0
    n_crm_people: int = 0
    n_anonymous_people: int = 0
    n_guest_people: int = 0
    n_ghost_people: int = 0
    shared_email: str = ""
    shared_email_contact_ids: list = field(default_factory=list)
    complements: dict = field(default_factory=dict)
    repeat_categories: list = field(default_factory=list)
    experiments: list = field(default_factory=list)
    raw_rows: dict = field(default_factory=dict)
    dirty_rows: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)


@dataclass(frozen=True)
class IdBase:
    """Where a chunk's identifiers start, so that ids never repeat across chunks.

    Each field counts the ids earlier chunks used: contacts (``C``/``person_``
    ids and the numbered emails), orders (``O``), guest emails, ghost contact
    ids (``X``, and their ``g`` devices), anonymous-only visitors (``v``), web
    and email event ids (``w``, ``e``).
    """

    contacts: int = 0
    orders: int = 0
    guests: int = 0
    ghosts: int = 0
    visitors: int = 0
    web_events: int = 0
    email_events: int = 0

    def after(self, used: dict[str, int]) -> IdBase:
        """The next chunk's base: this one moved on by the ids a chunk used."""
        return IdBase(**{k: v + used.get(k, 0) for k, v in asdict(self).items()})


@dataclass(frozen=True)
class Chunk:
    """Which contacts a run generates: all of them (the default), or one chunk of a streamed run.

    Chunk 0 draws from ``default_rng(seed)`` exactly as a one-chunk run does, so
    a run that fits in one chunk is the same bytes whatever the chunk size.
    Chunk k > 0 draws from its own stream ``default_rng([seed, k])``.
    """

    index: int = 0
    contacts: int | None = None  # None: cfg.contacts (one chunk)
    total_contacts: int | None = None
    base: IdBase = field(default_factory=IdBase)


class Context:
    """The state the sources share, and the samplers and formats they all use.

    There is one random stream: the sources draw from it in a fixed order
    (``Generator.run``), so the same seed gives the same bytes. A chunk of a
    streamed run (``Chunk``) has its own stream and starts its ids where the
    earlier chunks stopped; ``used`` says how many ids of each kind it took.
    """

    def __init__(self, cfg: GeneratorConfig, chunk: Chunk | None = None) -> None:
        self.cfg = cfg
        self.chunk = chunk or Chunk()
        self.contacts = self.chunk.contacts if self.chunk.contacts is not None else cfg.contacts
        self.total_contacts = self.chunk.total_contacts or cfg.contacts
        self.base = self.chunk.base
        self.used: dict[str, int] = {"contacts": self.contacts}
        seed = cfg.seed if self.chunk.index == 0 else [cfg.seed, self.chunk.index]
        self.rng = np.random.default_rng(seed)
        self.end = int(datetime.fromisoformat(cfg.end_date).replace(tzinfo=UTC).timestamp())
        self.start = self.end - cfg.days * DAY
        self.truth = Truth(config=asdict(cfg))
        self.tables: dict[str, pd.DataFrame] = {}

    def uniform_times(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return (lo + self.rng.random(len(lo)) * np.maximum(hi - lo, 0)).astype(np.int64)

    def rate_events(
        self, rate_alive: np.ndarray, rate_dead: np.ndarray, lo: np.ndarray, dropout: np.ndarray, hi: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Poisson event times per person: one rate while active, another after dropping out."""
        rng = self.rng
        alive_end = np.clip(dropout, lo, hi)
        alive_days = (alive_end - lo) / DAY
        dead_days = (hi - alive_end) / DAY
        n_alive = rng.poisson(rate_alive * np.maximum(alive_days, 0))
        n_dead = rng.poisson(rate_dead * np.maximum(dead_days, 0))
        who = np.concatenate([np.repeat(np.arange(len(lo)), n_alive), np.repeat(np.arange(len(lo)), n_dead)])
        t_lo = np.concatenate([np.repeat(lo, n_alive), np.repeat(alive_end, n_dead)])
        t_hi = np.concatenate([np.repeat(alive_end, n_alive), np.repeat(hi, n_dead)])
        t = self.uniform_times(t_lo, t_hi)
        order = np.lexsort((t, who))
        return who[order], t[order]

    def messy_email(self, emails: np.ndarray, share: float) -> np.ndarray:
        """Uppercase or pad a share of emails, as ESP exports and forms do."""
        out = emails.astype(object).copy()
        pick = (self.rng.random(len(out)) < share) & pd.notna(out)
        styles = self.rng.integers(0, 3, len(out))
        for i in np.flatnonzero(pick):
            e = out[i]
            out[i] = e.upper() if styles[i] == 0 else (f"  {e} " if styles[i] == 1 else e.title())
        return out

    def iso(self, ts: np.ndarray) -> np.ndarray:
        """ISO-8601 strings: UTC 'Z', an explicit offset, or no offset (UTC)."""
        dt = pd.to_datetime(ts, unit="s", utc=True)
        out = dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)
        kind = self.rng.integers(0, 3, len(ts))
        z = kind == 1
        out[z] = (dt[z].strftime("%Y-%m-%dT%H:%M:%S") + "Z").to_numpy(dtype=object)
        off = kind == 2
        shifted = (dt[off] + pd.Timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S") + "+02:00"
        out[off] = shifted.to_numpy(dtype=object)
        return out

    @staticmethod
    def native(ts: np.ndarray) -> pd.Series:
        return pd.Series(pd.to_datetime(ts, unit="s"))  # naive UTC, a native timestamp column


def far_future(month: int) -> int:
    """A timestamp no real event has (the first of a month in 2099), for rows dated in the future."""
    return int(datetime(2099, month, 1, tzinfo=UTC).timestamp())
