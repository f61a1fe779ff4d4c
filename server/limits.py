"""How much CPU one request may take while holding the GIL: the bounds that keep the event
loop (and so ``/v1/health``) answering while hostile bodies are opened on the worker threads.

The routes open bodies on worker threads, but worker threads and the event loop share one
GIL: a C call that holds it for tens of milliseconds starves the loop for as long, and on a
loaded machine the OS may deschedule that thread while it still holds the GIL, so the stall
grows by whole scheduler slices (issue 10: health p50 132 ms, worst 1.35 s at load 8-12).
That was the 32 MiB inflating push: zlib inflates with the GIL released but builds and
copies a call's output with it held, and asked for 32 MiB at once it held the GIL in
stretches of 18-21 ms (py-spy --gil: 91 % of GIL-holding samples with that push alone in
flight). The inflaters now take at most ``rules.compression.OUTPUT_PIECE`` (64 KiB, under
glibc's mmap threshold, so no fresh pages are faulted in) a call: 21 ms of CPU for that
body instead of 75-85, and no GIL stretch longer than the switch interval.

The body caps themselves are the protocol's (``sync.protocol.MAX_BODY_BYTES``, 2 MiB as
sent, read on the event loop before authentication; ``MAX_INFLATED_BYTES``, 8 MiB, a full
batch of ``MAX_ITEM_BYTES`` items): each byte under them is work an attacker can ask for.
An address that is known to be guessing credentials is refused before its body is read
(:class:`ThrottledBeforeBody`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from server.errors import ApiError
from server.throttle import Credential, FailureThrottle
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Which credential a request with a body brings, by its path (the throttle's kinds).
_ENROL_PATH = "/v1/enrol"
_ADMIN_PREFIX = "/v1/admin/"
_DEVICE_PREFIX = "/v1/"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def credential_of(path: str) -> Credential | None:
    """The kind of credential a call to ``path`` is authenticated with (None: not ours)."""
    if path == _ENROL_PATH:
        return Credential.ENROLMENT_CODE
    if path.startswith(_ADMIN_PREFIX):
        return Credential.ADMIN_TOKEN
    if path.startswith(_DEVICE_PREFIX):
        return Credential.DEVICE_TOKEN
    return None


class ThrottledBeforeBody:
    """ASGI middleware: an address that has used up its failed authentications of a kind
    is answered 429 before its body is read.

    The routes check the throttle too, but only after ``server.body.BodyLimits`` has read
    the whole body on the event loop (2 MiB per request): for an address already known to
    be guessing, that is work done for nothing. The answer is the routes' own 429 (with
    Retry-After) and the connection is closed, the unread body with it; a PC treats a
    429 and a cut connection alike (it backs off). Failures are still counted only by the
    routes, so an address's good requests are never refused here unless they would be
    there."""

    def __init__(self, app: ASGIApp, *, throttle: FailureThrottle) -> None:
        self.app = app
        self.throttle = throttle

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _BODY_METHODS:
            kind = credential_of(scope["path"])
            client = scope.get("client")
            if kind is not None:
                address = client[0] if client else "unknown"
                try:
                    self.throttle.check(address, kind)
                except ApiError as refused:
                    await _answer_and_close(send, refused)
                    return
        await self.app(scope, receive, send)


async def _answer_and_close(send: Send, error: ApiError) -> None:
    payload = error.payload()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        (PROTOCOL_HEADER.lower().encode("latin-1"), str(PROTOCOL_VERSION).encode()),
        (b"connection", b"close"),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
