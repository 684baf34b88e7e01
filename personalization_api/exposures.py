"""Optional exposure log: one JSON line per personalised or holdout response.

Lines are buffered in memory and appended to
`<exposure-dir>/exposures-<pid>-<yyyymmddHH>.jsonl` (the hour of exposed_at,
UTC) by `flush`, which the server calls at least every second and at shutdown.
Each process writes its own files, so workers never interleave lines. A line:

    {"experiment_id": "global_holdout", "external_id": "...", "variant": "personalized",
     "exposed_at": "2026-12-01T13:20:11.123Z", "endpoint": "personalization", "build_id": "..."}

The email is never written; a recipient without an external id is not logged.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import orjson

log = logging.getLogger("personalization_api")


class ExposureLog:
    def __init__(self, directory: Path, experiment_id: str):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.experiment_id = experiment_id
        self.pid = os.getpid()
        self._buffer: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()

    def record(self, external_id: str, variant: str, endpoint: str, build_id: str) -> None:
        now = datetime.now(UTC)
        line = orjson.dumps(
            {
                "experiment_id": self.experiment_id,
                "external_id": external_id,
                "variant": variant,
                "exposed_at": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                "endpoint": endpoint,
                "build_id": build_id,
            }
        )
        self._buffer.append((now.strftime("%Y%m%d%H"), line))

    def flush(self) -> int:
        """Append the buffered lines to their hour's file; returns how many were written."""
        with self._lock:
            buffer, self._buffer = self._buffer, []
            if not buffer:
                return 0
            by_hour: dict[str, list[bytes]] = {}
            for hour, line in buffer:
                by_hour.setdefault(hour, []).append(line)
            for hour, lines in by_hour.items():
                path = self.directory / f"exposures-{self.pid}-{hour}.jsonl"
                with open(path, "ab") as fh:
                    fh.write(b"\n".join(lines) + b"\n")
            return len(buffer)
