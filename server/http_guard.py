"""The HTTP connection limits uvicorn lacks: idle, header and header-size bounds.

uvicorn (with httptools) closes a keep-alive connection that stays idle *after* an answer,
but not a fresh connection that never sends anything, nor one that starts a request and
never finishes its headers; and it reads headers of any size (a 48 MiB header held the
event loop for seconds). This protocol, a small subclass of uvicorn's own, adds:

- idle: a new connection, like one between requests, is closed after ``timeout_keep_alive``
  seconds without a byte;
- headers: once a request has begun, its headers must be complete within
  ``header_timeout`` seconds (408) and ``max_header_bytes`` bytes (431), else the
  connection is answered and closed;
- a body that stops arriving is the body middleware's (``server.body``: 408).

``guarded_protocol(...)`` makes the class with its limits; ``serve`` hands it to uvicorn.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_HEADER_TIMEOUT = 20.0
DEFAULT_MAX_HEADER_BYTES = 16 * 1024


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # Idle from the start, as between requests: uvicorn's own keep-alive timer.
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            # The whole piece went to headers still incomplete: count it.
            self._head_bytes += len(data)
            if self._head_bytes > self.max_header_bytes:
                self._refuse(431, b"Request header fields too large")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._stop_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._stop_head_timer()
        super().on_headers_complete()

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self._refuse(408, b"Request headers not received in time")

    def _refuse(self, status: int, text: bytes) -> None:
        self._in_head = False
        self._stop_head_timer()
        reason = b"Request Timeout" if status == 408 else b"Request Header Fields Too Large"
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (status, reason, len(text), text)
        )
        self.transport.close()


def guarded_protocol(
    *, header_timeout: float, max_header_bytes: int
) -> type[GuardedHttpToolsProtocol]:
    """The protocol class with these limits (uvicorn makes one instance per connection)."""
    return type(
        "PishkhanHttpProtocol",
        (GuardedHttpToolsProtocol,),
        {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes},
    )
