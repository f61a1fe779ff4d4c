"""Request bodies: collected on the event loop, opened only after authentication.

The ASGI middleware (:class:`BodyLimits`) does the little that must happen as bytes
arrive, for every route alike: it answers 415 for an encoding other than gzip, counts the
compressed bytes against ``max_body_bytes`` (413; a lying or missing Content-Length does
not help), gives up on a body whose bytes stop coming (408, the connection closed), and
puts the protocol header on every answer. It never inflates or parses anything: an
unauthenticated request costs the event loop only the copying of its bytes.

The routes run in the thread pool; each first authenticates (a device token, the admin
token, or, for enrolment, nothing but a small size limit) and then calls
:func:`read_message`, which inflates the gzip body in linear time (a cap on gzip
members, a cap on the output) and decodes it with the protocol's msgspec types, naming
the bad field (422) or answering 400 for bytes that are not JSON.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from server.errors import R_REQUIRED, ApiError, bad_request, invalid, too_large
from server.limits import INFLATE_OUTPUT_PIECE
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, ErrorCode, ProtocolError, decode

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
T = TypeVar("T")

# How much of a refused body is read and dropped, in multiples of max_body_bytes.
DRAIN_FACTOR = 4
# The client sends one gzip member; concatenated members are legal (RFC 1952), but every
# member costs a fresh inflater, so a body of thousands of empty members is refused.
MAX_GZIP_MEMBERS = 64
_INFLATE_INPUT = 16 * 1024  # input fed to the inflater at a time: bounds every copy
# Output taken from the inflater at a time (server.limits explains why it is small).
_INFLATE_OUTPUT = INFLATE_OUTPUT_PIECE
BODY_KEY = "pishkhan.body"
_PROTOCOL_HEADER = (PROTOCOL_HEADER.lower().encode("latin-1"), str(PROTOCOL_VERSION).encode())


class InflateError(ValueError):
    """A gzip body is corrupt, truncated, or made of too many members."""


class InflatedTooLarge(ValueError):
    """A gzip body inflates past the allowed size (a gzip bomb, or simply too much)."""


def inflate_limited(data: bytes, max_bytes: int, *, max_members: int = MAX_GZIP_MEMBERS) -> bytes:
    """Inflate gzip ``data``, never holding more than ``max_bytes`` of output.

    Time is linear in the input: the inflater is fed ``_INFLATE_INPUT`` bytes at a time,
    so what zlib copies back (``unused_data`` at a member's end) is at most that much per
    member, and members are capped. Trailing NUL padding is accepted, as gzip(1) does.
    """
    view = memoryview(data)
    size = len(data)
    out: list[bytes] = []
    total = 0
    pos = 0
    members = 0
    try:
        while True:
            members += 1
            if members > max_members:
                raise InflateError(f"more than {max_members} gzip members")
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while not inflater.eof:
                room = min(max_bytes - total + 1, _INFLATE_OUTPUT)
                if pos < size:
                    piece = view[pos : pos + _INFLATE_INPUT]
                    got = inflater.decompress(piece, room)
                    pos += len(piece) - len(inflater.unconsumed_tail) - len(inflater.unused_data)
                else:
                    got = inflater.decompress(b"", room)  # output still pending, if any
                    if not got:
                        raise InflateError("truncated gzip body")
                out.append(got)
                total += len(got)
                if total > max_bytes:
                    raise InflatedTooLarge(f"inflates past {max_bytes} bytes")
            if pos >= size or (data[pos] == 0 and data.count(b"\x00", pos) == size - pos):
                return b"".join(out)
    except zlib.error as exc:
        raise InflateError(str(exc)) from exc


@dataclass(frozen=True)
class RawBody:
    """A request body as it arrived: compressed or not, never parsed."""

    data: bytes
    gzipped: bool


def read_raw(scope: Scope, *, max_bytes: int) -> bytes:
    """The request's body, inflated if it came gzipped, at most ``max_bytes`` (413)."""
    body: RawBody = scope.get(BODY_KEY) or RawBody(b"", gzipped=False)
    if not body.gzipped:
        if len(body.data) > max_bytes:
            raise too_large(f"بیش از {max_bytes} بایت", f"over {max_bytes} bytes")
        return body.data
    try:
        return inflate_limited(body.data, max_bytes)
    except InflatedTooLarge:
        raise too_large(
            f"پس از بازکردن بیش از {max_bytes} بایت", f"over {max_bytes} bytes once inflated"
        ) from None
    except InflateError:
        raise bad_request(
            "بدنهٔ فشرده (gzip) خراب یا ناقص است.", "The gzip body is corrupt or truncated."
        ) from None


def read_message(scope: Scope, kind: type[T], *, max_bytes: int, whole: str = "body") -> T:
    """The request's body as a ``kind`` message: inflated (at most ``max_bytes``), decoded
    and checked. Run in a route's thread, after authentication."""
    return decode_body(read_raw(scope, max_bytes=max_bytes), kind, whole=whole)


def decode_body(data: bytes, kind: type[T], *, whole: str = "body") -> T:
    """Decode one message; 400 if the bytes are not JSON, 422 naming the bad field."""
    if not data.strip():
        raise invalid({whole: R_REQUIRED})
    try:
        return decode(data, kind)
    except ProtocolError as exc:
        if exc.malformed:
            raise bad_request(
                "بدنهٔ درخواست JSON معتبر نیست.", "The request body is not valid JSON."
            ) from None
        raise invalid({exc.field: exc.reason}) from None


class BodyLimits:
    """ASGI middleware: protocol header on every answer; bounded raw request bodies."""

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, body_idle_timeout: float = 30.0
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_idle_timeout = body_idle_timeout

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
            scope[BODY_KEY] = await self._read_body(scope, receive)
        except ApiError as error:
            await _send_error(send, error)
            return

        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:  # the body is the routes' to open (read_message), not FastAPI's
                delivered = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return await receive()  # the disconnect, when it comes

        await self.app(scope, replay, send_with_header)

    async def _next(self, receive: Receive) -> Message:
        """The next piece of the body; 408 (and the connection closed) if none comes."""
        try:
            return await asyncio.wait_for(receive(), self.body_idle_timeout)
        except TimeoutError:
            raise ApiError(
                408,
                ErrorCode.TIMEOUT,
                "بدنهٔ درخواست به موقع نرسید.",
                f"The request body stopped arriving for {self.body_idle_timeout:.0f} s.",
                headers={"Connection": "close"},
            ) from None

    async def _read_body(self, scope: Scope, receive: Receive) -> RawBody:
        encoding = ""
        declared: int | None = None
        for name, value in scope.get("headers", []):
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
                f"Only gzip content encoding is accepted, not {encoding[:40]!r}.",
            )
            raise await self._refuse(receive, unsupported)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._next(receive)
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
        return RawBody(b"".join(chunks), gzipped=encoding == "gzip")

    def _too_large(self) -> ApiError:
        return too_large(f"بیش از {self.max_body_bytes} بایت", f"over {self.max_body_bytes} bytes")

    async def _drain(self, receive: Receive) -> bool:
        """Read and drop the rest of a refused body (up to a cap), so the client, still
        sending, reads our answer instead of a connection reset. False if the cap was
        reached first, or the bytes stopped (the connection is then closed after the
        answer)."""
        left = DRAIN_FACTOR * self.max_body_bytes
        while left > 0:
            try:
                message = await self._next(receive)
            except ApiError:
                return False
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


async def _send_error(send: Send, error: ApiError) -> None:
    payload = error.payload()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
        _PROTOCOL_HEADER,
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
