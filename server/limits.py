"""How much CPU one request may take while holding the GIL: the bounds that keep the event
loop (and so ``/v1/health``) answering while hostile bodies are opened on the worker threads.

The routes open bodies on worker threads, but worker threads and the event loop share one
GIL: a C call that holds it for tens of milliseconds starves the loop for as long, and on a
loaded machine the OS may deschedule that thread while it still holds the GIL, so the stall
grows by whole scheduler slices (issue 10: health p50 132 ms, worst 1.35 s at load 8-12).

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

INFLATE_OUTPUT_PIECE = 64 * 1024
"""Most output taken from the inflater in one call (``server.body.inflate_limited``).

zlib inflates with the GIL released, but builds the call's output and copies it with the
GIL held. Asked for up to 32 MiB at once, a 32 KB gzip of a 32 MiB JSON array came back as
one 32 MiB piece (then copied once more): 75-85 ms of CPU a call, the GIL held in
stretches of 18-21 ms (py-spy --gil on the live server: 91 % of GIL-holding samples with
that push alone in flight were in those two lines). In 64 KiB pieces the same body takes
21 ms and the GIL is never held for more than a few milliseconds; the pieces fit the
allocator's heap (under glibc's 128 KiB mmap threshold), so no fresh pages are faulted in."""


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
