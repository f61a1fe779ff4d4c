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

The wait is also bounded by how long the server has been silent (``outage_seconds``, time
since its last answer): at most :data:`DEFAULT_OUTAGE_SHARE` of it, so a server that is
back after a few seconds is not waited for minutes. Without that bound, seven failed
rounds in a row against a server restarting within 3 s each time (a crash loop, a
deployment) cost 119 s of waiting; with it, the n-th wait is at most half the silence so
far, so the time lost after the server is back is at most about half the outage (a
quarter on average, with full jitter), while a long outage still grows the waits to the
cap and full jitter still spreads thousands of offices coming back at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

#: ~15 minutes: the longest an office waits between two tries after failures.
DEFAULT_CAP_SECONDS = 15 * 60.0
DEFAULT_BASE_SECONDS = 2.0
DEFAULT_FLOOR_SECONDS = 1.0
#: The longest wait, as a share of how long the server has not answered.
DEFAULT_OUTAGE_SHARE = 0.5


@dataclass
class Backoff:
    """Delay calculator: ``delay(failures)`` for the n-th consecutive failure (n >= 1)."""

    base: float = DEFAULT_BASE_SECONDS
    cap: float = DEFAULT_CAP_SECONDS
    floor: float = DEFAULT_FLOOR_SECONDS
    outage_share: float = DEFAULT_OUTAGE_SHARE
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.base <= 0 or self.cap <= 0 or self.floor < 0 or self.outage_share <= 0:
            raise ValueError(
                "backoff base, cap and outage share must be positive, floor not negative"
            )
        self.floor = min(self.floor, self.cap)

    def ceiling(self, failures: int, outage_seconds: float | None = None) -> float:
        """The upper bound of the n-th delay before jitter: base * 2**(n-1), capped, and at
        most ``outage_share`` of ``outage_seconds`` (but never below base) when known."""
        if failures <= 0:
            return 0.0
        # 2**60 overflows nothing in Python, but keep the float small and exact.
        exponent = min(failures - 1, 60)
        ceiling = min(self.cap, self.base * (2.0**exponent))
        if outage_seconds is not None:
            ceiling = min(ceiling, max(self.base, self.outage_share * max(0.0, outage_seconds)))
        return ceiling

    def delay(
        self,
        failures: int,
        retry_after: float | None = None,
        *,
        outage_seconds: float | None = None,
    ) -> float:
        """Seconds to wait after the ``failures``-th failure in a row (0 if none);
        ``outage_seconds``: how long since the server last answered (None: unknown)."""
        if failures <= 0 and retry_after is None:
            return 0.0
        ceiling = self.ceiling(failures, outage_seconds)
        jittered = self.rng.uniform(0.0, ceiling) if failures > 0 else 0.0
        delay = max(self.floor if failures > 0 else 0.0, jittered)
        if retry_after is not None and retry_after > 0:
            delay = max(delay, min(float(retry_after), self.cap))
        return min(delay, self.cap)
