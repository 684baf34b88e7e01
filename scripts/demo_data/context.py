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


class Context:
    """The state the sources share, and the samplers and formats they all use.

    There is one random stream: the sources draw from it in a fixed order
    (``Generator.run``), so the same seed gives the same bytes.
    """

    def __init__(self, cfg: GeneratorConfig) -> None:
        self.cfg = cfg
        self.rng = np.random.default_rng(cfg.seed)
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
