"""Request bodies before any route sees them: size limits, gzip, the protocol header.

An ASGI middleware, so that a too-large or corrupt body is answered (413/400/415) before
FastAPI parses anything, for every route alike. The compressed size is checked as bytes
arrive (a lying or missing Content-Length does not help), and gzip is inflated
incrementally with a hard cap, so a gzip bomb costs at most ``max_inflated_bytes``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from server.errors import ApiError, bad_request, too_large
from sync.protocol import (
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    ErrorCode,
    InflatedTooLarge,
    InflateError,
    inflate_limited,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# How much of a refused body is read and dropped, in multiples of max_body_bytes.
DRAIN_FACTOR = 4
_PROTOCOL_HEADER = (PROTOCOL_HEADER.lower().encode("latin-1"), str(PROTOCOL_VERSION).encode())


class BodyLimits:
    """ASGI middleware: protocol header on every answer; limited, inflated request bodies."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_inflated_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_inflated_bytes = max_inflated_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == _PROTOCOL_HEADER[0] for name, _ in headers):
                    headers.append(_PROTOCOL_HEADER)
                message["headers"] = headers
            await send(message)

        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send_with_header)
            return
        try:
            body = await self._read_body(scope, receive)
        except ApiError as error:
            await _send_error(send, error)
            return

        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # the disconnect, when it comes

        await self.app(scope, replay, send_with_header)

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        headers = scope.get("headers", [])
        encoding = ""
        declared: int | None = None
        for name, value in headers:
            if name == b"content-encoding":
                encoding = value.decode("latin-1").strip().lower()
            elif name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    refused = bad_request(
                        "طول بدنهٔ درخواست نامعتبر است.", "Invalid Content-Length."
                    )
                    refused.headers["Connection"] = "close"
                    raise refused from None
        if declared is not None and declared > self.max_body_bytes:
            raise await self._refuse(receive, self._too_large())
        if encoding not in ("", "identity", "gzip"):
            unsupported = ApiError(
                415,
                ErrorCode.UNSUPPORTED_MEDIA,
                "فقط فشرده‌سازی gzip پذیرفته می‌شود.",
                f"Only gzip content encoding is accepted, not {encoding!r}.",
            )
            raise await self._refuse(receive, unsupported)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise bad_request("ارتباط قطع شد.", "The client disconnected.")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                if message.get("more_body", False):
                    raise await self._refuse(receive, self._too_large())
                raise self._too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if encoding == "gzip":
            try:
                body = inflate_limited(body, self.max_inflated_bytes)
            except InflatedTooLarge:
                raise too_large(
                    f"پس از بازکردن بیش از {self.max_inflated_bytes} بایت",
                    f"over {self.max_inflated_bytes} bytes once inflated",
                ) from None
            except InflateError:
                raise bad_request(
                    "بدنهٔ فشرده (gzip) خراب یا ناقص است.",
                    "The gzip body is corrupt or truncated.",
                ) from None
            _strip_encoding(scope, len(body))
        return body

    def _too_large(self) -> ApiError:
        return too_large(f"بیش از {self.max_body_bytes} بایت", f"over {self.max_body_bytes} bytes")

    async def _drain(self, receive: Receive) -> bool:
        """Read and drop the rest of a refused body (up to a cap), so the client, still
        sending, reads our answer instead of a connection reset. False if the cap was
        reached first (the connection is then closed after the answer)."""
        left = DRAIN_FACTOR * self.max_body_bytes
        while left > 0:
            message = await receive()
            if message["type"] != "http.request":
                return False
            left -= len(message.get("body", b""))
            if not message.get("more_body", False):
                return True
        return False

    async def _refuse(self, receive: Receive, error: ApiError) -> ApiError:
        if not await self._drain(receive):
            error.headers["Connection"] = "close"
        return error


def _strip_encoding(scope: Scope, length: int) -> None:
    """The routes see the inflated body, so its headers must describe it."""
    kept = [
        (name, value)
        for name, value in scope.get("headers", [])
        if name not in (b"content-encoding", b"content-length")
    ]
    kept.append((b"content-length", str(length).encode()))
    scope["headers"] = kept


async def _send_error(send: Send, error: ApiError) -> None:
    payload = json.dumps(error.body.to_json(), ensure_ascii=False).encode("utf-8")
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        _PROTOCOL_HEADER,
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
