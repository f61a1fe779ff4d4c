"""The connections under ``sync.client``: registered so another thread can abort them, and
given a short read timeout once an answer's head is in (``stall_seconds``).
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


def tracked(
    base: type[HTTPConnection], registry: ConnectionRegistry, stall_seconds: float
) -> type[HTTPConnection]:
    class Tracked(base):  # type: ignore[valid-type,misc]
        def getresponse(self) -> Any:
            response = super().getresponse()
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

    def __init__(self, registry: ConnectionRegistry, stall_seconds: float) -> None:
        self._registry = registry
        self._stall_seconds = stall_seconds
        # One connection per session: each call borrows a session of its own.
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        http_pool = type(
            "TrackedHTTPPool",
            (HTTPConnectionPool,),
            {"ConnectionCls": tracked(HTTPConnection, self._registry, self._stall_seconds)},
        )
        https_pool = type(
            "TrackedHTTPSPool",
            (HTTPSConnectionPool,),
            {"ConnectionCls": tracked(HTTPSConnection, self._registry, self._stall_seconds)},
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
