"""Request bodies: collected on the event loop, opened only after authentication.

The ASGI middleware (:class:`BodyLimits`) does the little that must happen as bytes
arrive, for every route alike: it answers 415 for an encoding other than gzip or zstd (or
a zstd dictionary this server does not have), counts the compressed bytes against
``max_body_bytes`` (413; a lying or missing Content-Length does not help), gives up on a
body whose bytes stop coming (408, the connection closed), and puts the protocol header
and the codings this server accepts (``Accept-Encoding``, ``Pishkhan-Zstd-Dicts``) on
every answer. It never decodes or parses anything: an unauthenticated request costs the
event loop only the copying of its bytes.

The routes run in the thread pool; each first authenticates (a device token, the admin
token, or, for enrolment, nothing but a small size limit) and then calls
:func:`read_message`, which decodes the gzip or zstd body with ``rules.compression``'s
bounds (output capped, linear time, zstd windows capped) and then the protocol's msgspec
types, naming the bad field (422) or answering 400 for bytes that are not JSON.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from rules import compression
from rules.messages import Message as Reason
from server.errors import R_REQUIRED, ApiError, bad_request, invalid, too_large
from sync.protocol import (
    LEAN_REVISION,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    REVISION_HEADER,
    ErrorCode,
    ProtocolError,
    decode,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
T = TypeVar("T")

# How much of a refused body is read and dropped, in multiples of max_body_bytes.
DRAIN_FACTOR = 4
BODY_KEY = "pishkhan.body"
_PROTOCOL_HEADER = (PROTOCOL_HEADER.lower().encode("latin-1"), str(PROTOCOL_VERSION).encode())
# Every answer says which codings (and zstd dictionaries) a request body may use, so a
# client sends zstd only to a server that knows it (docs/PROTOCOL.md, "Compression").
_CODINGS_HEADERS = (
    (b"accept-encoding", f"{compression.ZSTD}, {compression.GZIP}".encode()),
    (
        compression.DICTS_HEADER.lower().encode("latin-1"),
        ",".join(str(i) for i in compression.known_dictionaries()).encode(),
    ),
)
_ACCEPTED_CODINGS = ("", compression.IDENTITY, compression.GZIP, compression.ZSTD)
_DICT_HEADER_KEY = compression.DICT_HEADER.lower().encode("latin-1")

# The gzip inflater moved to rules.compression (the client decodes answers with it too).
MAX_GZIP_MEMBERS = compression.MAX_GZIP_MEMBERS
InflateError = compression.DecodeError
InflatedTooLarge = compression.TooLarge
inflate_limited = compression.inflate_gzip


@dataclass(frozen=True)
class RawBody:
    """A request body as it arrived: compressed or not, never parsed."""

    data: bytes
    encoding: str = ""  # "", gzip or zstd (BodyLimits refuses the others)
    dict_id: int | None = None  # the zstd dictionary named by the request

    @property
    def gzipped(self) -> bool:
        return self.encoding == compression.GZIP


def read_raw(scope: Scope, *, max_bytes: int) -> bytes:
    """The request's body, decoded (gzip or zstd) if it came compressed, at most
    ``max_bytes`` (413); 400 for a corrupt or truncated body, or a zstd frame made with
    another dictionary than the one named."""
    body: RawBody = scope.get(BODY_KEY) or RawBody(b"")
    try:
        return compression.decode(body.data, body.encoding, max_bytes, dict_id=body.dict_id)
    except compression.TooLarge:
        if not body.encoding:
            raise too_large(f"بیش از {max_bytes} بایت", f"over {max_bytes} bytes") from None
        raise too_large(
            f"پس از بازکردن بیش از {max_bytes} بایت", f"over {max_bytes} bytes once inflated"
        ) from None
    except compression.UnknownDictionary:
        raise bad_request(
            "بدنهٔ فشرده (zstd) با واژه‌نامه‌ای جز آنچه نام برده ساخته شده است.",
            "The zstd body was made with another dictionary than the one it names.",
        ) from None
    except compression.DecodeError:
        if body.encoding == compression.ZSTD:
            raise bad_request(
                "بدنهٔ فشرده (zstd) خراب یا ناقص است.", "The zstd body is corrupt or truncated."
            ) from None
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
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_idle_timeout: float = 30.0,
        revision: int = LEAN_REVISION,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_idle_timeout = body_idle_timeout
        # The protocol, the codings and the newest revision taken, on every answer.
        self._headers = (
            _PROTOCOL_HEADER,
            *_CODINGS_HEADERS,
            (REVISION_HEADER.lower().encode("latin-1"), str(revision).encode()),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend(h for h in self._headers if h[0] not in names)
                message["headers"] = headers
            await send(message)

        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send_with_header)
            return
        try:
            scope[BODY_KEY] = await self._read_body(scope, receive)
        except ApiError as error:
            await _send_error(send_with_header, error)
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
        dict_value: str | None = None
        dict_id: int | None = None
        for name, value in scope.get("headers", []):
            if name == b"content-encoding":
                encoding = value.decode("latin-1").strip().lower()
            elif name == _DICT_HEADER_KEY:
                dict_value = value.decode("latin-1").strip()
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
        if encoding not in _ACCEPTED_CODINGS:
            unsupported = ApiError(
                415,
                ErrorCode.UNSUPPORTED_MEDIA,
                "فقط فشرده‌سازی gzip یا zstd پذیرفته می‌شود.",
                f"Only gzip or zstd content encoding is accepted, not {encoding[:40]!r}.",
            )
            raise await self._refuse(receive, unsupported)
        if encoding == compression.ZSTD and dict_value is not None:
            dict_id = _known_dict(dict_value)
            if dict_id is None:
                raise await self._refuse(receive, _unknown_dictionary(dict_value))
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
        return RawBody(b"".join(chunks), encoding=encoding, dict_id=dict_id)

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


def _known_dict(value: str) -> int | None:
    """The dictionary a request's DICT_HEADER names, if this server has it."""
    if not value.isdigit() or len(value) > 6:
        return None
    dict_id = int(value)
    return dict_id if dict_id in compression.known_dictionaries() else None


def _unknown_dictionary(value: str) -> ApiError:
    known = ", ".join(str(i) for i in compression.known_dictionaries()) or "-"
    reason = Reason(
        fa=f"واژه‌نامهٔ zstd «{value[:20]}» برای این سرور ناشناخته است (شناخته: {known}).",
        en=f"zstd dictionary {value[:20]!r} is unknown to this server (known: {known}).",
    )
    return ApiError(
        415,
        ErrorCode.UNSUPPORTED_MEDIA,
        reason.fa,
        reason.en,
        fields={compression.DICT_HEADER: reason},
    )


async def _send_error(send: Send, error: ApiError) -> None:
    payload = error.payload()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    headers += [(k.lower().encode(), v.encode()) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
