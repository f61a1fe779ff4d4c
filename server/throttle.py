"""Throttling of failed authentication, per client address and kind of credential.

Failures are counted, never traffic: many offices reach the server through one carrier's
address, and their good requests must never be slowed by each other. Each (address,
kind) has a bucket of ``burst`` failures that refills at ``per_minute``; a failed device
token, admin token or enrolment code takes one. While an address's bucket for a kind is
empty, every attempt of that kind from it is answered 429 with Retry-After *before* the
credential is looked at (no database work, nothing learnt by guessing). Per process: with
``serve --workers N`` an address gets N buckets, which is still a bound.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum

from server.errors import ApiError
from sync.protocol import ErrorCode


class Credential(StrEnum):
    DEVICE_TOKEN = "device_token"
    ADMIN_TOKEN = "admin_token"
    ENROLMENT_CODE = "enrolment_code"


class FailureThrottle:
    def __init__(
        self,
        *,
        burst: int = 20,
        per_minute: float = 10.0,
        max_addresses: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self.max_addresses = max_addresses
        self._clock = clock
        self._lock = threading.Lock()
        # (address, kind) -> (tokens left, at); oldest first, so the table stays bounded.
        self._buckets: OrderedDict[tuple[str, str], tuple[float, float]] = OrderedDict()

    def _tokens(self, key: tuple[str, str], now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) * self.rate)

    def check(self, address: str, kind: Credential) -> None:
        """429 if ``address`` has used up its failures of ``kind``; else nothing."""
        now = self._clock()
        with self._lock:
            tokens = self._tokens((address, kind), now)
        if tokens < 1.0:
            wait = max(1, math.ceil((1.0 - tokens) / self.rate))
            raise ApiError(
                429,
                ErrorCode.TOO_MANY_FAILURES,
                "تلاش‌های ناموفق از این نشانی بیش از حد بوده است؛ کمی بعد دوباره تلاش کنید.",
                "Too many failed attempts from this address; try again later.",
                headers={"Retry-After": str(wait)},
            )

    def failed(self, address: str, kind: Credential) -> None:
        """One failure of ``kind`` from ``address``."""
        now = self._clock()
        key = (address, kind)
        with self._lock:
            tokens = self._tokens(key, now)
            self._buckets[key] = (max(0.0, tokens - 1.0), now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.max_addresses:
                self._buckets.popitem(last=False)
