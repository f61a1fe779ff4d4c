"""When to try the server again after a failed round: exponential backoff, full jitter.

The sync engine works in rounds, not in one long retrying call: a round fails, the
engine records *when* the next round may start ("next try at"), the process may be
killed or the PC lose power, and the next round starts from that record. So backoff
here is a small pure calculator over a persisted failure count, not a retry decorator.

Why not ``tenacity``: it retries a call inside one stack frame (sleeping between
attempts). That fits neither a round-based scheduler that must survive a restart nor
a Qt timer that must not block. Its ``wait_random_exponential`` is the same formula
as :meth:`Backoff.delay` below; the few lines here save a dependency in the
sync path and keep the state (the failure count) in our own hands, stored with the
rest of the sync status in the local database.

Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): the delay is
uniform in ``[0, min(cap, base * 2**(n-1))]``. Thousands of offices come back at the
same moment after a regional outage; full jitter spreads them out best. A small floor
keeps a fault from turning into a busy loop. A server's ``Retry-After`` is honoured
(never tried earlier than it asks), but clamped to the cap: a wrong header must not
keep an office silent longer than our own worst case.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: ~15 minutes: the longest an office waits between two tries after failures.
DEFAULT_CAP_SECONDS = 15 * 60.0
DEFAULT_BASE_SECONDS = 2.0
DEFAULT_FLOOR_SECONDS = 1.0


@dataclass
class Backoff:
    """Delay calculator: ``delay(failures)`` for the n-th consecutive failure (n >= 1)."""

    base: float = DEFAULT_BASE_SECONDS
    cap: float = DEFAULT_CAP_SECONDS
    floor: float = DEFAULT_FLOOR_SECONDS
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap <= 0 or self.floor < 0:
            raise ValueError("backoff base and cap must be positive, floor not negative")
        self.floor = min(self.floor, self.cap)

    def ceiling(self, failures: int) -> float:
        """The upper bound of the n-th delay before jitter: base * 2**(n-1), capped."""
        if failures <= 0:
            return 0.0
        # 2**60 overflows nothing in Python, but keep the float small and exact.
        exponent = min(failures - 1, 60)
        return min(self.cap, self.base * (2.0**exponent))

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``failures``-th failure in a row (0 if none)."""
        if failures <= 0 and retry_after is None:
            return 0.0
        jittered = self.rng.uniform(0.0, self.ceiling(failures)) if failures > 0 else 0.0
        delay = max(self.floor if failures > 0 else 0.0, jittered)
        if retry_after is not None and retry_after > 0:
            delay = max(delay, min(float(retry_after), self.cap))
        return min(delay, self.cap)
