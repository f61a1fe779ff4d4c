"""The HTTP client of the sync protocol (docs/PROTOCOL.md): keep-alive connections, typed answers.

This module owns everything between a protocol message and the wire: the base URL, the
device token header, TLS verification (always on; a custom CA bundle may be given), the
content codings (``rules.compression``: bodies in zstd with the shipped dictionary once the
server's answers said it knows it, else gzip; answers in zstd or gzip, decoded with bounds;
a 415 for a zstd body is sent again once in gzip), timeouts sized for a 512 kbit/s link,
and the mapping of every failure to one of a few error classes the engine acts on:

- :class:`NetworkError`: no answer (refused, reset, cut, timed out, TLS failure) → back off.
- :class:`ServerBusy`: 5xx, 429 (``retry_after`` from Retry-After) or an answer that is not
  protocol → back off.
- :class:`Unauthorized`: 401/403 → ask for re-enrolment, keep everything.
- :class:`PayloadTooLarge`: 413 → split the batch.
- :class:`BadRequest`: any other 4xx, with the server's per-field reasons.

Connections are kept for the life of the client: on a 300 ms link every new TCP (and TLS)
connection costs one or more round trips. Calls may come from several threads at once (the
engine keeps a second push on the wire while the answer to the first is awaited): each call
borrows a ``requests.Session`` of its own from a small pool (one keep-alive connection each),
so two calls never share a session or a socket, and a later call reuses the session (and
connection) the last one gave back.

Timeouts. ``requests`` has no total deadline: its connect timeout bounds the TCP connect
*and each send of the body* (urllib3 applies it until the request is written), its read
timeout bounds each wait for response bytes. The body is therefore handed over as a
file-like object, which urllib3 writes in 16 KiB pieces, so the fixed connect timeout
applies per piece, never to a whole large body. The read timeout grows with the payload:
after the last byte leaves this PC the rest may still be crossing the slow line, and the
server answers only once it has all of it (``base + bytes / worst_rate``). Bodies of other
calls still on their way share the line, so their bytes count too. The ``base`` is learnt
(``sync.transport.AnswerWaits``): 30 s until a first answer came, then what this server's
heads have taken once a request was written (mean plus four deviations, at least 10 s),
doubled after each wait that ran out, so an answer that stalls before its head costs about
10 s instead of 30-36 s and a server that is merely slow soon gets the whole wait again.
Once an answer's head is in, it is read here piece by piece while its bytes keep moving:
each socket read waits at most ``stall_seconds`` and the whole body must arrive within
``stall_seconds`` plus its length at the worst rate, so a stalled or trickling answer fails
in seconds, not after a read timeout sized for the wait before the head. An answer that
says neither its length nor chunked and ends with the connection was cut inside its head:
a network error.

Push receipts (revision 2, issue 11): each push may carry a batch key
(``Pishkhan-Push-Key``); after a push that got no answer, :meth:`SyncClient.receipt` asks
the server for that push's stored answer (None: not stored, send the items again).

The error classes live in ``sync.errors`` and the connection plumbing (abortable,
registered connections, the stall timeout once a head is in) in ``sync.transport``; both
are re-exported here. The token is only ever put in the Authorization header; it never
appears in a log line, an exception text or a ``repr``.
"""

from __future__ import annotations

import io
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import requests
import urllib3.exceptions

from rules import compression
from sync.address import check_server_address
from sync.codings import RememberedCodings
from sync.errors import (
    BadRequest,
    InvalidResponse,
    NetworkError,
    NotEnrolled,
    PayloadTooLarge,
    ServerBusy,
    SyncError,
    Unauthorized,
)
from sync.protocol import (
    AUTHORIZATION_HEADER,
    CONTENT_ENCODING_HEADER,
    DEFAULT_CHANGES_LIMIT,
    HEX64_PATTERN,
    LEAN_REVISION,
    PATH_CHANGES,
    PATH_ENROL,
    PATH_HEALTH,
    PATH_HEARTBEAT,
    PATH_PUSH,
    PATH_RECEIPTS,
    PROTOCOL_HEADER,
    PROTOCOL_REVISION,
    PROTOCOL_VERSION,
    PUSH_KEY_HEADER,
    RECEIPTS_HEADER,
    RETRY_AFTER_HEADER,
    REVISION_HEADER,
    ChangesPage2,
    EnrolRequest,
    EnrolResponse,
    ErrorBody,
    ErrorCode,
    Heartbeat,
    HeartbeatResponse,
    LeanPushBody,
    Message,
    ProtocolError,
    PushAnswer,
    PushBody,
    PushResponse,
    RequestContent,
    RequestItem,
    decode,
    encode,
)
from sync.transport import AbortableAdapter, AnswerWaits, ConnectionRegistry, parse_retry_after

log = logging.getLogger("pishkhan.sync")
_HEX64 = re.compile(HEX64_PATTERN)

__all__ = [  # the error classes live in sync.errors; callers import them from here too
    "BadRequest",
    "InvalidResponse",
    "NetworkError",
    "NotEnrolled",
    "PayloadTooLarge",
    "ServerBusy",
    "SyncClient",
    "SyncError",
    "Unauthorized",
    "gzip_body",
    "parse_retry_after",
    "push_payload",
]

TokenProvider = Callable[[], "str | None"]
_T = TypeVar("_T")

#: TCP (+TLS) connect, and each 16 KiB piece of a body handed to the kernel.
DEFAULT_CONNECT_TIMEOUT = 15.0
#: Wait for the first byte of an answer on an empty request (server work + one round trip).
DEFAULT_READ_TIMEOUT_BASE = 30.0
#: The shortest wait for an answer's head once the request is written (plus the bytes still
#: on the line), when earlier answers of this server came fast (sync.transport.AnswerWaits);
#: until a first answer, and after waits that ran out, up to DEFAULT_READ_TIMEOUT_BASE.
DEFAULT_HEAD_WAIT_FLOOR = 10.0
#: The rate assumed when sizing read timeouts: a quarter of 512 kbit/s, shared with the office.
DEFAULT_WORST_RATE_BYTES = 16_000
#: Once an answer's headers are in, the longest wait for its next bytes; and a body must
#: arrive within this plus its length at the worst rate (a trickle is cut too).
DEFAULT_STALL_SECONDS = 10.0
#: Bodies smaller than this go uncompressed (except push, which the protocol always compresses).
_GZIP_THRESHOLD = 1024
# Level 9, not 6: a 500-item push is 5% smaller (73 KB instead of 77 KB, 0.13 s less on a
# 256 kbit/s line) for 7 ms more of CPU. Any level inflates the same.
_GZIP_LEVEL = 9
# zstd to a server that knows the dictionary (``python -m bench.zstd_dict levels``, 500
# items, this machine: gzip -9 72.1 KB in 14 ms; zstd -3 57.4 KB in 1.5 ms, -9 57.1 KB in
# 4.6 ms, -15 48.3 KB in 69 ms, -19 48.2 KB in 116 ms). 15 gives -19's size for 60 % of
# its CPU: 0.28 s less line time than -9 at 256 kbit/s a batch, for ~0.3 s of CPU on a
# slow counter PC (4x slower), spent while the batch before it is still on the wire.
ZSTD_LEVEL = 15
#: An answer decoding past this is refused (the largest page of the feed is far below).
MAX_ANSWER_BYTES = 64 * 1024 * 1024


def gzip_body(raw: bytes) -> bytes:
    """A body compressed for ``Content-Encoding: gzip`` as this client sends it
    (deterministic: mtime 0)."""
    return compression.compress_gzip(raw, level=_GZIP_LEVEL)


def push_payload(device_id: str, items: Sequence[RequestItem]) -> bytes:
    """The bytes of a push exactly as :meth:`SyncClient.push` sends them (gzip JSON)."""
    body = PushBody(device_id=device_id, items=list(items), revision=PROTOCOL_REVISION)
    return gzip_body(encode(body))


class SyncClient:
    """Calls of protocol version 1 against one central server."""

    def __init__(
        self,
        base_url: str,
        token_provider: TokenProvider,
        *,
        ca_bundle: str | None = None,
        session: requests.Session | None = None,
        device_id: str | None = None,
        app_version: str = "0",
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout_base: float = DEFAULT_READ_TIMEOUT_BASE,
        worst_rate_bytes: float = DEFAULT_WORST_RATE_BYTES,
        stall_seconds: float = DEFAULT_STALL_SECONDS,
        head_wait_floor: float = DEFAULT_HEAD_WAIT_FLOOR,
        allow_insecure_http: bool = False,
        zstd: bool = True,
        zstd_level: int = ZSTD_LEVEL,
        codings_file: Path | None = None,
    ) -> None:
        # ValueError for no http(s) address; InsecureServerAddress for http:// elsewhere.
        check_server_address(base_url, allow_insecure_http=allow_insecure_http)
        self.base_url = base_url.rstrip("/")
        self.device_id = device_id
        self.app_version = app_version
        self.connect_timeout = connect_timeout
        self.worst_rate_bytes = worst_rate_bytes
        self.stall_seconds = stall_seconds
        # The wait for an answer's head, learnt from this server's answers (a stalled
        # answer costs about the floor instead of the whole 30 s base).
        self.answer_waits = AnswerWaits(floor=head_wait_floor, ceiling=read_timeout_base)
        self.zstd_level = zstd_level
        # The zstd dictionary the server said it knows (an answer's Pishkhan-Zstd-Dicts
        # with Accept-Encoding: zstd); None until then, and after a 415: bodies go gzip.
        self._server_dict: int | None = None
        self._dicts = compression.known_dictionaries() if zstd else ()
        # Remembered across runs (``codings_file``, in the data folder): the first push of
        # a run goes zstd instead of waiting for an answer to advertise it (sync.codings).
        # The newest revision the server's answers said it takes: 3 lets pushes go without
        # each item's hash (sync.protocol.LEAN_REVISION); remembered like the dictionary.
        self._server_revision = PROTOCOL_REVISION
        self._remembered = (
            RememberedCodings(codings_file, self.base_url) if codings_file is not None else None
        )
        if self._remembered is not None:
            self._server_dict, revision = self._remembered.load(self._dicts)
            self._server_revision = max(PROTOCOL_REVISION, revision)  # 2 asks nothing of it
        self._token_provider = token_provider
        self._token_lock = threading.Lock()  # a keyring backend need not be thread-safe
        self._registry = ConnectionRegistry()
        self._aborted = threading.Event()
        self._body_bytes_in_flight = 0  # bodies of calls not yet answered (a shared line)
        # Whether the server keeps push receipts (its push answers say so): None until a
        # push was answered; a break before that still asks (a 404 costs one round trip).
        self._receipts: bool | None = None
        # A session given by the caller serves every call (the caller's choice); else each
        # concurrent call gets a session of its own, kept for reuse in ``_idle``.
        self._shared_session = session
        self._sessions_lock = threading.Lock()
        self._idle: list[requests.Session] = []
        self._sessions: list[requests.Session] = []
        # Verification is never switched off: a custom bundle replaces the default one.
        self._verify: str | bool = ca_bundle if ca_bundle else True
        self._headers = {
            "User-Agent": f"Pishkhan/{app_version}",
            PROTOCOL_HEADER: str(PROTOCOL_VERSION),
            "Accept": "application/json",
            # Answers in zstd with our dictionary if the server knows one of ours (else gzip).
            "Accept-Encoding": "zstd, gzip" if self._dicts else "gzip",
        }
        if self._dicts:
            self._headers[compression.DICTS_HEADER] = ",".join(str(i) for i in self._dicts)
        if session is not None:
            session.headers.update(self._headers)

    def __repr__(self) -> str:  # never the token
        return f"SyncClient({self.base_url!r}, device_id={self.device_id!r})"

    # -- lifecycle -------------------------------------------------------------------

    def close(self) -> None:
        with self._sessions_lock:
            sessions, self._sessions, self._idle = self._sessions, [], []
        for session in sessions:
            session.close()
        if self._shared_session is not None:
            self._shared_session.close()

    @property
    def sessions_opened(self) -> int:
        """How many sessions (keep-alive connections) this client has made so far."""
        with self._sessions_lock:
            return len(self._sessions)

    def _borrow(self) -> requests.Session:
        if self._shared_session is not None:
            return self._shared_session
        with self._sessions_lock:
            if self._idle:
                return self._idle.pop()  # the last one given back: its connection is warm
        session = requests.Session()
        adapter = AbortableAdapter(self._registry, self.stall_seconds, self.answer_waits)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update(self._headers)
        with self._sessions_lock:
            self._sessions.append(session)
        return session

    def _give_back(self, session: requests.Session) -> None:
        if session is self._shared_session:
            return
        with self._sessions_lock:
            if session in self._sessions:  # not closed meanwhile
                self._idle.append(session)

    def abort(self) -> None:
        """From another thread: fail the call in progress (and any later one) at once."""
        self._aborted.set()
        self._registry.shutdown_all()

    @property
    def read_timeout_base(self) -> float:
        """The longest wait for an answer's head (before the bytes' time): the fixed wait
        before a first answer, and the ceiling of the learnt one."""
        return self.answer_waits.ceiling

    @read_timeout_base.setter
    def read_timeout_base(self, seconds: float) -> None:
        self.answer_waits.set_bounds(ceiling=seconds)

    def read_timeout(self, payload_bytes: int) -> float:
        """The wait for an answer's head: what this server's answers have taken
        (``answer_waits``, at most ``read_timeout_base``), plus the time of the bytes that may
        still be crossing the line at the worst rate."""
        return self.answer_waits.bound() + payload_bytes / self.worst_rate_bytes

    # -- calls -----------------------------------------------------------------------

    def health(self) -> bool:
        self._call("GET", PATH_HEALTH, auth=False)
        return True

    def enrol(self, request: EnrolRequest) -> EnrolResponse:
        data = self._call("POST", PATH_ENROL, body=request, auth=False)
        return self._parse(EnrolResponse, data)

    def push(
        self,
        items: Sequence[RequestItem],
        *,
        device_id: str | None = None,
        key: str | None = None,
    ) -> PushResponse:
        """Send ``items`` (``content_hash`` included, never altered here). ``key`` (a UUID,
        new per push) names the push, so that after a lost answer :meth:`receipt` can ask
        for it instead of sending the items again."""
        device = device_id or self.device_id
        if not device:
            raise ValueError("push needs the device id")
        headers = {PUSH_KEY_HEADER: key} if key is not None else None
        lean = self._lean_body(device, items)
        if lean is not None:
            try:
                data = self._call("POST", PATH_PUSH, body=lean, force_gzip=True, headers=headers)
                return self._push_response(data, items)
            except BadRequest as exc:
                if exc.status != 422:
                    raise
                # Refused as a whole, nothing stored: a digest that does not match (an item
                # changed on its way), an item the server cannot read, or a server that does
                # not take revision 3 after all. Sent again with each item's hash, each item
                # is answered on its own; the same key names it (nothing is stored under it).
                log.info("push without hashes refused (%s); sending them with", exc.detail)
        body = PushBody(device_id=device, items=list(items), revision=PROTOCOL_REVISION)
        data = self._call("POST", PATH_PUSH, body=body, force_gzip=True, headers=headers)
        return self._push_response(data, items)

    @property
    def server_revision(self) -> int:
        """The newest protocol revision the server's answers said it takes."""
        return self._server_revision

    def _lean_body(self, device: str, items: Sequence[RequestItem]) -> LeanPushBody | None:
        """The push in revision 3, if the server takes it and every stored hash is one."""
        if self._server_revision < LEAN_REVISION or not items:
            return None
        if not all(_HEX64.fullmatch(item.content_hash) for item in items):
            return None  # a damaged stored hash: revision 2 rejects that item, by name
        return LeanPushBody.of(device, items)

    @property
    def keeps_receipts(self) -> bool | None:
        """Whether the server's push answers said it keeps receipts (None: no answer yet)."""
        return self._receipts

    def receipt(self, key: str, items: Sequence[RequestItem]) -> PushResponse | None:
        """The answer of the push named ``key`` (of ``items``), from the server's receipt;
        None when it has none (the push was not stored, or the server keeps no receipts):
        then the items must be sent again. Network trouble raises as for any call."""
        try:
            data = self._call("GET", PATH_RECEIPTS + key)
        except BadRequest as exc:
            if exc.status == 404:
                return None
            raise
        return self._push_response(data, items)

    def _push_response(self, data: bytes, items: Sequence[RequestItem]) -> PushResponse:
        answer = self._parse(PushAnswer, data)  # compact, or full from an older server
        try:
            response = answer.response([item.id for item in items])
        except ProtocolError as exc:
            raise InvalidResponse(f"push answer does not fit the push: {exc}") from exc
        if len(response.results) != len(items):
            raise InvalidResponse(
                f"push answered {len(response.results)} results for {len(items)} items"
            )
        return response

    def changes(
        self,
        cursor: str | None,
        limit: int = DEFAULT_CHANGES_LIMIT,
        *,
        max_bytes: int | None = None,
        heartbeat: Heartbeat | None = None,
    ) -> ChangesPage2:
        """A page of the feed (revision 2: without this PC's own acceptances). A
        ``heartbeat`` rides on the call; its answer is the page's ``heartbeat`` (None from
        a server of revision 1, which ignores it: send it on its own then)."""
        params: dict[str, str] = {"limit": str(limit), "revision": str(PROTOCOL_REVISION)}
        if cursor:
            params["cursor"] = cursor
        if max_bytes is not None:
            params["max_bytes"] = str(max_bytes)
        if heartbeat is not None:
            params["heartbeat"] = encode(heartbeat).decode("utf-8")
        data = self._call("GET", PATH_CHANGES, params=params)
        return self._parse(ChangesPage2, data)

    def heartbeat(self, heartbeat: Heartbeat) -> HeartbeatResponse:
        data = self._call("POST", PATH_HEARTBEAT, body=heartbeat)
        return self._parse(HeartbeatResponse, data)

    # -- plumbing --------------------------------------------------------------------

    @staticmethod
    def _parse(kind: type[_T], data: bytes) -> _T:
        try:
            return decode(data, kind)
        except ProtocolError as exc:
            raise InvalidResponse(f"answer is not protocol v{PROTOCOL_VERSION}: {exc}") from exc

    @property
    def server_dictionary(self) -> int | None:
        """The zstd dictionary bodies are compressed with (None: gzip)."""
        return self._server_dict

    def _encode(self, body: Any) -> bytes:
        try:
            if isinstance(body, PushBody | LeanPushBody):
                for item in _items_of(body) or ():
                    _refuse_non_finite(item)
            return encode(body)
        except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
            raise _unencodable(body, exc) from exc

    def _pack(self, encoded: bytes, force: bool, *, zstd: bool) -> tuple[bytes, dict[str, str]]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if not force and len(encoded) < _GZIP_THRESHOLD:
            return encoded, headers
        dict_id = self._server_dict if zstd else None
        if dict_id is not None:
            headers[CONTENT_ENCODING_HEADER] = compression.ZSTD
            headers[compression.DICT_HEADER] = str(dict_id)
            return compression.compress_zstd(
                encoded, level=self.zstd_level, dict_id=dict_id
            ), headers
        headers[CONTENT_ENCODING_HEADER] = compression.GZIP
        return gzip_body(encoded), headers

    def _learn_codings(self, response: requests.Response) -> None:
        """What the server accepts, from any of its answers (the newest shared dictionary),
        and the revision it takes, from a 2xx or 422 answer (one a proxy in the way may
        have made, say a 429 or a 408, tells nothing of the server)."""
        if 200 <= response.status_code < 300 or response.status_code == 422:
            self._set_server_revision(response.headers.get(REVISION_HEADER))
        if not self._dicts:
            return
        offered = response.headers.get(compression.DICTS_HEADER)
        if compression.accepts_zstd(response.headers.get("Accept-Encoding")):
            self._set_server_dict(compression.common_dictionary(offered))
        elif response.status_code < 500:
            self._set_server_dict(None)  # a server that does not (or no longer) says so

    def _set_server_dict(self, dict_id: int | None) -> None:
        with self._sessions_lock:
            changed = dict_id != self._server_dict
            self._server_dict = dict_id
        if changed:
            self._remember()

    def _set_server_revision(self, header: str | None) -> None:
        value = header.strip() if header else ""
        revision = int(value) if value.isdigit() and len(value) <= 3 else PROTOCOL_REVISION
        with self._sessions_lock:
            changed = revision != self._server_revision
            self._server_revision = revision
        if changed:
            self._remember()

    def _remember(self) -> None:
        if self._remembered is not None:
            self._remembered.store(self._server_dict, self._server_revision)

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
        auth: bool = True,
        force_gzip: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        encoded = self._encode(body) if body is not None else None
        sent_zstd = encoded is not None and self._server_dict is not None
        try:
            return self._exchange(method, path, encoded, params, auth, force_gzip, headers)
        except BadRequest as exc:
            if exc.status != 415 or not sent_zstd:
                raise
            # The server stopped taking zstd (an older one behind the same address): the
            # body was refused before anything was stored; send it once more, in gzip.
            log.info("server refused zstd (%s); sending gzip", exc.detail)
            self._set_server_dict(None)  # and forget it: the next run starts in gzip too
            return self._exchange(
                method, path, encoded, params, auth, force_gzip, headers, zstd=False
            )

    def _exchange(
        self,
        method: str,
        path: str,
        encoded: bytes | None,
        params: Mapping[str, str] | None,
        auth: bool,
        force: bool,
        extra_headers: Mapping[str, str] | None = None,
        *,
        zstd: bool = True,
    ) -> bytes:
        if self._aborted.is_set():
            raise NetworkError("the sync was stopped")
        headers: dict[str, str] = dict(extra_headers or {})
        if auth:
            with self._token_lock:
                token = self._token_provider()
            if not token:
                raise NotEnrolled("no device token on this PC")
            headers[AUTHORIZATION_HEADER] = f"Bearer {token}"
        data: io.BytesIO | None = None
        size = 0
        if encoded is not None:
            payload, extra = self._pack(encoded, force, zstd=zstd)
            headers.update(extra)
            size = len(payload)
            data = io.BytesIO(payload)  # written in 16 KiB pieces: see the module docstring
        with self._sessions_lock:
            ahead = self._body_bytes_in_flight
            self._body_bytes_in_flight += size
        timeout = (self.connect_timeout, self.read_timeout(size + ahead))
        started = time.monotonic()
        session = self._borrow()
        try:
            response = session.request(
                method,
                self.base_url + path,
                data=data,
                params=params,
                headers=headers,
                timeout=timeout,
                verify=self._verify,
                allow_redirects=False,
                stream=True,  # read here, bytes watched: see _read_answer
            )
            content = self._read_answer(response)  # a cut or stalled answer fails in this try
        except requests.Timeout as exc:
            raise NetworkError(_describe(exc), timeout=True) from exc
        except requests.RequestException as exc:
            raise NetworkError(_describe(exc)) from exc
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise NetworkError(_describe(exc), timeout=True) from exc
        except urllib3.exceptions.HTTPError as exc:  # cut short, reset while reading
            raise NetworkError(_describe(exc)) from exc
        except OSError as exc:  # a socket shut by abort() can surface as a bare OSError
            raise NetworkError(_describe(exc)) from exc
        finally:
            self._give_back(session)
            with self._sessions_lock:
                self._body_bytes_in_flight -= size
        if self._aborted.is_set():
            raise NetworkError("the sync was stopped")
        self._learn_codings(response)
        if path == PATH_PUSH and response.status_code == 200:
            self._receipts = RECEIPTS_HEADER in response.headers
        log.debug(
            "%s %s -> %d (%d bytes up, %d down, %.2fs)",
            method,
            path,
            response.status_code,
            size,
            len(content),
            time.monotonic() - started,
        )
        return _interpret(response, self._decode_answer(response, content))

    def _read_answer(self, response: requests.Response) -> bytes:
        """The answer's body as sent (not decoded), read while its bytes keep moving.

        Each socket read waits at most ``stall_seconds`` (set once the head is in); and the
        whole body must come within ``stall_seconds`` plus its length (Content-Length, or
        what came so far plus 64 KiB) at the worst rate: a trickle of a byte every few
        seconds defeats a per-read timeout, not this.
        """
        if response.is_redirect:  # requests read it already (to release the connection)
            return response.content
        raw = response.raw
        try:
            declared: int | None = int(response.headers.get("Content-Length", ""))
        except ValueError:
            declared = None
        begun = time.monotonic()
        pieces: list[bytes] = []
        got = 0
        try:
            while True:
                expected = declared if declared is not None else got + 65_536
                allowed = self.stall_seconds + expected / self.worst_rate_bytes
                if time.monotonic() - begun > allowed:
                    raise NetworkError(
                        f"the answer trickled: {got} bytes in {allowed:.0f} s", timeout=True
                    )
                if self._aborted.is_set():
                    raise NetworkError("the sync was stopped")
                piece = raw.read1(65_536, decode_content=False)
                if not piece:
                    break
                got += len(piece)
                if got > MAX_ANSWER_BYTES:
                    raise InvalidResponse(f"an answer of more than {MAX_ANSWER_BYTES} bytes")
                pieces.append(piece)
        except BaseException:
            response.close()  # the connection is in an unknown state: never reuse it
            raise
        if declared is not None and got < declared:
            response.close()
            raise NetworkError(f"answer cut short: {got} of {declared} bytes")
        chunked = "chunked" in response.headers.get("Transfer-Encoding", "").lower()
        if declared is None and not chunked and response.status_code not in (204, 304):
            # The server always says how long an answer is (Content-Length, or chunked): one
            # that says neither and ends with the connection was cut inside its head (the
            # HTTP parser takes an early end of the connection as the end of the headers).
            response.close()
            raise NetworkError(f"answer without a length, cut after {got} bytes")
        raw.release_conn()  # read to its end: the keep-alive connection serves the next call
        return b"".join(pieces)

    @staticmethod
    def _decode_answer(response: requests.Response, content: bytes) -> bytes:
        coding = response.headers.get(CONTENT_ENCODING_HEADER, "")
        dict_id = None
        if coding.strip().lower() == compression.ZSTD:
            ids = compression.parse_dict_ids(response.headers.get(compression.DICT_HEADER))
            dict_id = ids[0] if ids else None
        try:
            return compression.decode(content, coding, MAX_ANSWER_BYTES, dict_id=dict_id)
        except (compression.DecodeError, compression.TooLarge) as exc:
            raise InvalidResponse(f"answer body ({coding or 'identity'}): {exc}") from exc


def _describe(exc: BaseException) -> str:
    # requests' texts carry the URL and the reason, never request headers.
    return f"{type(exc).__name__}: {exc}"


def _items_of(body: Any) -> Sequence[RequestContent] | None:
    if isinstance(body, PushBody):
        return body.items
    if isinstance(body, LeanPushBody):
        return body.contents
    return None


def _refuse_non_finite(item: RequestContent) -> None:
    """JSON has no NaN or infinity (msgspec would write them as null, which the server
    would then hash differently): such a value, read back from a damaged store, makes the
    item unsendable, as ``json.dumps(allow_nan=False)`` did."""
    for block in (item.applicant, item.answers, item.fees):
        for value in block.values():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"a non-finite number in request {item.id}")


def _unencodable(body: Any, exc: BaseException) -> BadRequest:
    """A body that cannot even be written as JSON: name the first item at fault, if any."""
    fields: dict[str, Message] = {}
    items = _items_of(body)
    if isinstance(items, list):
        for index, item in enumerate(items):
            try:
                _refuse_non_finite(item)
                encode(item)
            except (TypeError, ValueError):
                fields[f"items.{index}"] = Message(
                    fa="این درخواست نویسه یا مقداری دارد که قابل ارسال نیست.",
                    en="This request holds a character or value that cannot be sent.",
                )
                break
    return BadRequest(f"body cannot be encoded: {exc}", status=0, code="unencodable", fields=fields)


def _error_body(content: bytes) -> ErrorBody | None:
    try:
        return decode(content, ErrorBody)
    except ProtocolError:
        return None


def _interpret(response: requests.Response, content: bytes) -> bytes:
    """The body of a 2xx answer (read by the caller, as its type); else the error class."""
    status = response.status_code
    if 200 <= status < 300:
        return content
    body = _error_body(content)
    kw: dict[str, Any] = {"status": status}
    if body is not None:
        kw.update(
            code=body.error, message_fa=body.message_fa or None, message_en=body.message_en or None
        )
    detail = f"HTTP {status}" + (f" {body.error}" if body else "")
    retry_after = parse_retry_after(response.headers.get(RETRY_AFTER_HEADER))
    if status == 429 or status >= 500:
        raise ServerBusy(detail, retry_after=retry_after, **kw)
    if status == 408:  # the server gave up waiting for our bytes: a slow line, not a bad body
        raise NetworkError(detail, timeout=True, **kw)
    if status in (401, 403):
        raise Unauthorized(detail, **kw)
    if status == 413 or (body is not None and body.error == ErrorCode.TOO_MANY_ITEMS):
        raise PayloadTooLarge(detail, **kw)
    if 400 <= status < 500:
        raise BadRequest(detail, fields=body.fields if body else None, **kw)
    # 1xx/3xx: a redirect is never followed (it could leak the token to another host).
    raise InvalidResponse(detail, **kw)
