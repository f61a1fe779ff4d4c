"""The connections under ``sync.client``: registered so another thread can abort them, and
given a short read timeout once an answer's head is in (``stall_seconds``); the wait for
the head itself is timed (``AnswerWaits``), so the client can bound it by what this server
and line have shown instead of a fixed 30 s.
"""

from __future__ import annotations

import email.utils
import socket
import threading
import time
import weakref
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class ConnectionRegistry:
    """The sockets of live connections, so another thread can :meth:`SyncClient.abort` them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conns: weakref.WeakSet[HTTPConnection] = weakref.WeakSet()
        self._aborted = False

    def add(self, conn: HTTPConnection) -> None:
        with self._lock:
            if self._aborted:
                # abort() came between the caller's check and this connect: never block.
                raise ConnectionAbortedError("the sync was stopped")
            self._conns.add(conn)

    def discard(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conns.discard(conn)

    def shutdown_all(self) -> None:
        with self._lock:
            self._aborted = True
            conns = list(self._conns)
        for conn in conns:
            sock = getattr(conn, "sock", None)
            if sock is None:
                continue
            try:
                # shutdown (not close) wakes a recv() blocked in another thread.
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class AnswerWaits:
    """How long answers' heads take once a request is written, and the bound that follows.

    A request's last byte is handed to the kernel, then the client waits for the head: the
    bytes still crossing the line (the client adds their time itself), the server's work
    and a round trip. A stalled answer (the line stopped, a server that never answers) was
    waited out for a fixed 30 s plus the bytes' time. Here the wait is estimated as TCP
    estimates its retransmission timeout (RFC 6298: a smoothed mean plus four times the
    mean deviation), never below ``floor`` nor above ``ceiling`` (the old fixed wait, which
    also holds until a first answer came); each wait that runs out doubles the bound for
    the next call (up to the ceiling) until an answer comes, so a server that is merely
    slow, as when the centre is loaded, soon gets the whole old wait again.
    """

    def __init__(self, *, floor: float, ceiling: float) -> None:
        self.floor = self.ceiling = ceiling
        self.set_bounds(floor=floor, ceiling=ceiling)
        self._lock = threading.Lock()
        self._mean: float | None = None
        self._deviation = 0.0
        self._backoff = 1.0

    def set_bounds(self, *, floor: float | None = None, ceiling: float | None = None) -> None:
        """New bounds (SyncClient.read_timeout_base, a benchmark's floor); the floor is
        never above the ceiling."""
        if ceiling is not None:
            self.ceiling = ceiling
        self.floor = min(self.floor if floor is None else floor, self.ceiling)

    def observe(self, seconds: float) -> None:
        """A head came ``seconds`` after its request was written."""
        with self._lock:
            if self._mean is None:
                self._mean, self._deviation = seconds, seconds / 2
            else:
                self._deviation = 0.75 * self._deviation + 0.25 * abs(self._mean - seconds)
                self._mean = 0.875 * self._mean + 0.125 * seconds
            self._backoff = 1.0

    def ran_out(self) -> None:
        """A wait for a head ended in a timeout: give the next one twice as long."""
        with self._lock:
            self._backoff = min(self._backoff * 2, 64.0)

    def bound(self) -> float:
        """Seconds to wait for a head, on top of the time of bytes still on the line."""
        with self._lock:
            if self._mean is None:
                return self.ceiling
            estimate = max(self.floor, self._mean + 4 * self._deviation) * self._backoff
            return min(self.ceiling, estimate)


def tracked(
    base: type[HTTPConnection],
    registry: ConnectionRegistry,
    stall_seconds: float,
    waits: AnswerWaits | None = None,
) -> type[HTTPConnection]:
    class Tracked(base):  # type: ignore[valid-type,misc]
        def getresponse(self) -> Any:
            # The request is written (urllib3 has set the read timeout the client sized):
            # what follows until the head is the wait AnswerWaits learns from.
            written = time.monotonic()
            try:
                response = super().getresponse()
            except TimeoutError:
                if waits is not None:
                    waits.ran_out()
                raise
            if waits is not None:
                waits.observe(time.monotonic() - written)
            # The head is in: from now on bytes either keep coming or the answer stalled.
            # (requests' read timeout is per socket read, sized for the wait before the
            # head; kept for the body, a stall cost 30-36 s.)
            if self.sock is not None:
                self.sock.settimeout(min(stall_seconds, self.timeout or stall_seconds))
            return response

        def connect(self) -> None:
            super().connect()
            try:
                registry.add(self)
            except ConnectionAbortedError:
                super().close()
                raise

        def close(self) -> None:
            registry.discard(self)
            super().close()

    return Tracked


class AbortableAdapter(HTTPAdapter):
    """A plain adapter whose connections are registered, so that abort() can reach them."""

    def __init__(
        self, registry: ConnectionRegistry, stall_seconds: float, waits: AnswerWaits | None = None
    ) -> None:
        self._registry = registry
        self._stall_seconds = stall_seconds
        self._waits = waits
        # One connection per session: each call borrows a session of its own.
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http_pool = type(
            "TrackedHTTPPool",
            (HTTPConnectionPool,),
            {
                "ConnectionCls": tracked(
                    HTTPConnection, self._registry, self._stall_seconds, self._waits
                )
            },
        )
        https_pool = type(
            "TrackedHTTPSPool",
            (HTTPSConnectionPool,),
            {
                "ConnectionCls": tracked(
                    HTTPSConnection, self._registry, self._stall_seconds, self._waits
                )
            },
        )
        self.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After in seconds: delta-seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    reference = time.time() if now is None else now
    return max(0.0, when.timestamp() - reference)
