"""A token bucket per API key: `rate` requests a second on average, bursts of up to `burst`."""

from __future__ import annotations

import math
import time


class RateLimiter:
    def __init__(self, rate: float, burst: float, clock=time.monotonic):
        self.rate = float(rate)
        self.burst = max(1.0, float(burst))
        self.clock = clock
        self._buckets: dict[str, list[float]] = {}  # name -> [tokens, last refill]

    def take(self, name: str) -> float:
        """0.0 when a request may go ahead, else the seconds until one token is back."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        bucket = self._buckets.get(name)
        if bucket is None:
            bucket = self._buckets[name] = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
