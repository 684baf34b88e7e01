"""Optional exposure log: one JSON line per personalised or holdout response.

Lines are buffered in memory and appended to
`<exposure-dir>/exposures-<pid>-<yyyymmddHH>.jsonl` (the hour of exposed_at,
UTC) by `flush`, which the server calls at least every second and at shutdown.
Each process writes its own files, so workers never interleave lines. A line:

    {"experiment_id": "global_holdout", "external_id": "...", "variant": "personalized",
     "exposed_at": "2026-12-01T13:20:11.123Z", "endpoint": "personalization", "build_id": "..."}

The email is never written; a recipient without an external id is not logged.
A HEAD request is not an exposure (nothing is shown), so it is not logged.

A failed write (a full disk) keeps the lines buffered for the next flush, up to
`max_buffered` lines: beyond that the oldest are dropped, counted and logged
(a count, never a line). Files are created 0600 and a folder the log creates
0700: the lines carry external ids.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

import orjson

log = logging.getLogger("personalization_api")


# lines held while writes fail: about 400 bytes each, so about 100 MB per worker; under a minute of a big send
MAX_BUFFERED = 250_000
ERROR_LOG_EVERY = 30.0  # seconds between repeated log lines about a failing write


class ExposureLog:
    def __init__(self, directory: Path, experiment_id: str, max_buffered: int = MAX_BUFFERED):
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.experiment_id = experiment_id
        self.pid = os.getpid()
        self.max_buffered = max(1, int(max_buffered))
        self._buffer: deque[tuple[str, bytes]] = deque()
        self._lock = threading.Lock()  # record and flush swap and refill the buffer under it
        # one flush at a time (the flusher's and the one at shutdown): a failed write cuts its file back to where it
        # started, which must never cut another flush's lines
        self._flush_lock = threading.Lock()
        self.dropped = 0  # lines dropped since the last log line saying so
        self.dropped_total = 0
        self.failing_since: float | None = None
        self._last_error_log = 0.0

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
        line = memoryview(line).tobytes()  # exactly its size: orjson's buffer keeps 4 KiB of spare capacity
        with self._lock:
            self._buffer.append((now.strftime("%Y%m%d%H"), line))
            self._cap()

    def buffered(self) -> int:
        return len(self._buffer)

    def _cap(self) -> None:
        """Drop the oldest lines beyond max_buffered (call with the lock held)."""
        over = len(self._buffer) - self.max_buffered
        for _ in range(max(0, over)):
            self._buffer.popleft()
        if over > 0:
            self.dropped += over
            self.dropped_total += over

    def _append(self, path: Path, data: bytes) -> None:
        """Append data whole or not at all: a failed write is cut back to the file's previous end."""
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            end = os.fstat(fd).st_size
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, end)
                raise
        finally:
            os.close(fd)

    def flush(self) -> int:
        """Append the buffered lines to their hour's file; returns how many were written.

        Never raises OSError: lines it could not write go back to the front of the buffer (capped)."""
        with self._flush_lock:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            buffer, self._buffer = self._buffer, deque()
        written = 0
        failed: list[tuple[str, bytes]] = []
        problem = None
        if buffer:
            by_hour: dict[str, list[bytes]] = {}
            for hour, line in buffer:
                by_hour.setdefault(hour, []).append(line)
            for hour, lines in by_hour.items():
                if problem is None:
                    path = self.directory / f"exposures-{self.pid}-{hour}.jsonl"
                    try:
                        self._append(path, b"\n".join(lines) + b"\n")
                        written += len(lines)
                        continue
                    except OSError as exc:
                        problem = exc
                failed.extend((hour, line) for line in lines)
        with self._lock:
            if failed:
                self._buffer.extendleft(reversed(failed))
                self._cap()
            dropped, self.dropped = self.dropped, 0
            buffered = len(self._buffer)
        self._report(problem, written, buffered, dropped)
        return written

    def _report(self, problem: OSError | None, written: int, buffered: int, dropped: int) -> None:
        now = time.monotonic()
        if problem is not None:
            if self.failing_since is None:
                self.failing_since = now
            if dropped or now - self._last_error_log >= ERROR_LOG_EVERY:
                self._last_error_log = now
                log.error(
                    "could not write exposure lines to %s (%s: %s); %d kept to retry (cap %d), %d dropped since",
                    self.directory,
                    type(problem).__name__,
                    problem.strerror or "error",
                    buffered,
                    self.max_buffered,
                    dropped,
                )
            return
        if dropped:
            log.error("dropped %d exposure lines: the buffer was full (cap %d)", dropped, self.max_buffered)
        if self.failing_since is not None and written:
            log.info("exposure lines written to %s again (%d lines)", self.directory, written)
            self.failing_since = None

    def close(self) -> None:
        """The last flush, at shutdown: logs (a count) what could not be written."""
        self.flush()
        left = self.buffered()
        if left:
            log.error("exposure log closed with %d lines it could not write to %s", left, self.directory)
