"""When an update may download: only while nothing of the clerk's work waits or runs.

``UpdateGate.may_continue()`` is what the downloader asks between pieces. It says no while
requests or documents wait to be sent (``waiting()`` > 0: the line is theirs first) and
while the clerk saves or prints (``with gate.busy(): ...`` around those), so an update never
competes with the counter's own work for the line or the disk.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class UpdateGate:
    def __init__(self, waiting: Callable[[], int]) -> None:
        self._waiting = waiting
        self._busy = 0
        self._lock = threading.Lock()

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Marks the clerk's save or print: downloads pause until every one has ended."""
        with self._lock:
            self._busy += 1
        try:
            yield
        finally:
            with self._lock:
                self._busy -= 1

    def may_continue(self) -> bool:
        with self._lock:
            if self._busy:
                return False
        return self._waiting() == 0
