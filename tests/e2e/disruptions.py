"""Disruptions timed by the sync engine's own events: a link outage, a server killed.

The engine announces every push (``BatchSending``) after marking its items "sending" and
just before the HTTP call, so an action started then, after a small delay, lands while the
batch is on the wire or inside the server.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from sync.engine import BatchSending, RoundFailed, RoundStarted, SyncEvent
from tests.support.faultproxy import FaultProxy, LinkConfig


class Disruption:
    """Runs ``action`` in its own thread, a random moment after the k-th push starts.

    The engine announces a push (``BatchSending``) after the items are marked "sending"
    and just before the HTTP call, so a small delay lands the action while the batch is
    on the wire or inside the server. ``fired`` records what each action returned.
    Pushes are counted only while ``counting()`` (e.g. not while the link is already down).
    """

    def __init__(
        self,
        at_batches: set[int],
        action: Callable[[], Any],
        *,
        max_delay_s: float,
        rng: random.Random,
        counting: Callable[[], bool] = lambda: True,
    ) -> None:
        self.at_batches = at_batches
        self.counting = counting  # pushes made while this is false are not counted
        self.action = action
        self.max_delay_s = max_delay_s
        self.rng = rng
        self.batches = 0
        self.fired: list[Any] = []
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []
        self._busy = threading.Lock()

    def __call__(self, event: SyncEvent) -> None:
        if not isinstance(event, BatchSending) or not self.counting():
            return
        self.batches += 1
        if self.batches in self.at_batches:
            delay = self.rng.uniform(0, self.max_delay_s)
            thread = threading.Thread(target=self._run, args=(delay,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, delay: float) -> None:
        time.sleep(delay)  # the random moment itself, not a wait for anything
        with self._busy:  # never two at once (a restart in progress)
            try:
                self.fired.append(self.action())
            except BaseException as exc:
                self.errors.append(exc)

    def join(self, timeout: float = 90.0) -> None:
        for thread in self._threads:
            thread.join(timeout)
        assert not any(t.is_alive() for t in self._threads), "a disruption did not finish"
        if self.errors:
            raise self.errors[0]


class LinkOutage:
    """Takes the link down (``down`` config) when told; brings it back once the engine
    has failed ``min_failed_rounds`` rounds and ``min_down_s`` have passed."""

    def __init__(
        self,
        proxy: FaultProxy,
        down: LinkConfig,
        *,
        min_down_s: float,
        min_failed_rounds: int,
        in_flight: Callable[[], int],
    ) -> None:
        self.proxy = proxy
        self.up_config = proxy.config
        self.down_config = down
        self.min_down_s = min_down_s
        self.min_failed_rounds = min_failed_rounds
        self.in_flight = in_flight
        self.down_since: float | None = None  # None: the link is up
        self.failed_while_down = 0
        self.outages: list[dict[str, float]] = []

    def go_down(self) -> int:
        """The action: link down; returns how many requests were "sending" at that instant."""
        sending = self.in_flight()
        self.failed_while_down = 0
        self.down_since = time.monotonic()
        self.proxy.set_config(self.down_config)
        return sending

    @property
    def is_up(self) -> bool:
        return self.down_since is None

    def __call__(self, event: SyncEvent) -> None:
        if self.down_since is None:
            return
        if isinstance(event, RoundFailed):
            self.failed_while_down += 1
        elif isinstance(event, RoundStarted):
            down_for = time.monotonic() - self.down_since
            if down_for >= self.min_down_s and self.failed_while_down >= self.min_failed_rounds:
                self.proxy.set_config(self.up_config)
                self.outages.append(
                    {"seconds": round(down_for, 2), "failed_rounds": self.failed_while_down}
                )
                self.down_since = None
