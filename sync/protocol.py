"""Sync protocol version 1: the wire types shared by the counter program and the server.

docs/PROTOCOL.md is the prose; this module is the code both sides import, so it uses the
standard library only. Every message type is a frozen dataclass with ``to_json()`` (a
JSON-ready ``dict``) and ``from_json(dict)``; ``from_json`` checks shapes and types and raises
:class:`ProtocolError` naming the field, in Persian and English. Domain rules (is this a valid
national code, does the service exist) are not checked here: that is the catalogue's job.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self

PROTOCOL_VERSION = 1
API_PREFIX = "/v1"

# Header names.
PROTOCOL_HEADER = "X-Pishkhan-Protocol"
AUTHORIZATION_HEADER = "Authorization"
CONTENT_ENCODING_HEADER = "Content-Encoding"
RETRY_AFTER_HEADER = "Retry-After"

# Paths (all under API_PREFIX).
PATH_HEALTH = "/v1/health"
PATH_ENROL = "/v1/enrol"
PATH_PUSH = "/v1/push"
PATH_CHANGES = "/v1/changes"
PATH_HEARTBEAT = "/v1/heartbeat"

# Limits: the server enforces them, the client keeps under them.
MAX_ITEMS_PER_PUSH = 500
MAX_BODY_BYTES = 8 * 1024 * 1024  # a request body as sent (compressed)
MAX_INFLATED_BYTES = 32 * 1024 * 1024  # a gzip body once inflated
DEFAULT_CHANGES_LIMIT = 200
MAX_CHANGES_LIMIT = 1000
MAX_BACKOFF_SECONDS = 15 * 60


class ItemStatus(StrEnum):
    """The server's answer for one pushed request."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    REJECTED = "rejected"
    RETRY = "retry"


class RemoteState(StrEnum):
    """What became of a request at the central office (the change feed's status)."""

    ACCEPTED = "accepted"
    NEEDS_CORRECTION = "needs_correction"
    REJECTED = "rejected"
    COMPLETED = "completed"


class ChangeKind(StrEnum):
    STATUS = "status"
    CATALOG = "catalog"


class ErrorCode(StrEnum):
    """The ``error`` field of every 4xx/5xx body."""

    BAD_REQUEST = "bad_request"  # not JSON, not gzip, wrong shape
    INVALID = "invalid"  # JSON of the right shape with invalid fields (422)
    UNAUTHORIZED = "unauthorized"  # token missing, unknown or revoked (401)
    FORBIDDEN = "forbidden"  # authenticated but not allowed (403)
    NOT_FOUND = "not_found"
    TOO_LARGE = "too_large"  # body past max_body_bytes / max_inflated_bytes (413)
    TOO_MANY_ITEMS = "too_many_items"  # more than MAX_ITEMS_PER_PUSH (413): split the batch
    INVALID_CODE = "invalid_code"  # enrolment code unknown, used or expired (400)
    OFFICE_MISMATCH = "office_mismatch"  # enrolment code is for another office (400)
    COUNTER_TAKEN = "counter_taken"  # an active device already has that counter (409)
    DEVICE_MISMATCH = "device_mismatch"  # push body's device_id is not the token's device
    UNSUPPORTED_MEDIA = "unsupported_media"  # a Content-Encoding other than gzip (415)
    UNAVAILABLE = "unavailable"  # the server's database is busy or down (503, Retry-After)
    INTERNAL = "internal"  # a bug on the server (500)


# --------------------------------------------------------------------------- basics


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason the clerk can read, in Persian and English."""

    fa: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"fa": self.fa, "en": self.en}

    @classmethod
    def from_json(cls, obj: Any, path: str = "reason") -> Self:
        data = _mapping(obj, path)
        return cls(fa=_str(data, "fa", path), en=_str(data, "en", path))


class ProtocolError(ValueError):
    """A message does not have the shape of protocol version 1; ``field`` names where."""

    def __init__(self, field_path: str, fa: str, en: str) -> None:
        super().__init__(f"{field_path}: {en}")
        self.field = field_path
        self.reason = Reason(fa=fa, en=en)


def canonical_json(obj: Any) -> bytes:
    """The one byte form of a JSON value that both sides hash (see PROTOCOL.md)."""
    return json.dumps(
        obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def content_hash(item: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of a request item without its ``content_hash``."""
    body = {key: value for key, value in item.items() if key != "content_hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def utc_iso(dt: datetime) -> str:
    """``2026-11-28T09:15:00.123Z``: UTC, milliseconds, ``Z``. Naive times are refused."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("utc_iso needs a timezone-aware datetime")
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now_iso() -> str:
    return utc_iso(datetime.now(UTC))


def parse_utc_iso(text: str) -> datetime:
    """Parse an ISO 8601 time with a zone (``Z`` or an offset) into an aware UTC datetime."""
    if not isinstance(text, str) or "T" not in text:
        raise ValueError(f"not an ISO 8601 date-time: {text!r}")
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"time without a zone: {text!r}")
    return parsed.astimezone(UTC)


def gzip_json(obj: Any) -> bytes:
    """A JSON body compressed for ``Content-Encoding: gzip`` (deterministic: mtime 0)."""
    raw = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return gzip.compress(raw.encode("utf-8"), compresslevel=6, mtime=0)


class InflateError(ValueError):
    """A gzip body is corrupt or truncated."""


class InflatedTooLarge(ValueError):
    """A gzip body inflates past the allowed size (a gzip bomb, or simply too much)."""


def inflate_limited(data: bytes, max_bytes: int, chunk: int = 64 * 1024) -> bytes:
    """Inflate gzip ``data`` incrementally, never holding more than ``max_bytes`` of output.

    Concatenated gzip members are accepted (RFC 1952). Raises :class:`InflatedTooLarge` as
    soon as the output passes ``max_bytes`` and :class:`InflateError` for corrupt input.
    """
    out = bytearray()
    pending = data
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            piece = inflater.decompress(pending, chunk)
            while True:
                out += piece
                if len(out) > max_bytes:
                    raise InflatedTooLarge(f"inflates past {max_bytes} bytes")
                if inflater.eof or (not piece and not inflater.unconsumed_tail):
                    break
                # An empty tail with output still pending is flushed by one more call.
                piece = inflater.decompress(inflater.unconsumed_tail, chunk)
        except zlib.error as exc:
            raise InflateError(str(exc)) from exc
        if not inflater.eof:
            raise InflateError("truncated gzip body")
        pending = inflater.unused_data
        if not pending.strip(b"\x00"):
            return bytes(out)


_HEX64 = re.compile(r"[0-9a-f]{64}")
# What str(uuid.UUID(...)) produces: lower-case, hyphenated.
_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def is_canonical_uuid(value: Any) -> bool:
    """True for a UUID in its lower-case hyphenated form (ids are compared as strings)."""
    return isinstance(value, str) and _CANONICAL_UUID.fullmatch(value) is not None


# --------------------------------------------------------------------------- field readers


def _mapping(obj: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise ProtocolError(path, "باید یک شیء JSON باشد.", "must be a JSON object.")
    return obj


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _missing(path: str) -> ProtocolError:
    return ProtocolError(path, "این مقدار لازم است.", "is required.")


def _str(data: Mapping[str, Any], key: str, path: str = "", *, empty: bool = True) -> str:
    where = _join(path, key)
    if key not in data or data[key] is None:
        raise _missing(where)
    value = data[key]
    if not isinstance(value, str):
        raise ProtocolError(where, "باید متن باشد.", "must be a string.")
    if not empty and not value.strip():
        raise ProtocolError(where, "نباید خالی باشد.", "must not be empty.")
    return value


def _opt_str(data: Mapping[str, Any], key: str, path: str = "") -> str | None:
    if data.get(key) is None:
        return None
    return _str(data, key, path)


def _int(data: Mapping[str, Any], key: str, path: str = "", *, minimum: int | None = None) -> int:
    where = _join(path, key)
    if key not in data or data[key] is None:
        raise _missing(where)
    value = data[key]
    # bool is an int in Python but not in the protocol.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProtocolError(where, "باید عدد صحیح باشد.", "must be an integer.")
    if minimum is not None and value < minimum:
        raise ProtocolError(where, f"باید دست‌کم {minimum} باشد.", f"must be at least {minimum}.")
    return value


def _opt_int(
    data: Mapping[str, Any], key: str, path: str = "", *, minimum: int | None = None
) -> int | None:
    if data.get(key) is None:
        return None
    return _int(data, key, path, minimum=minimum)


def _bool(data: Mapping[str, Any], key: str, path: str = "") -> bool:
    value = data.get(key)
    if not isinstance(value, bool):
        raise ProtocolError(_join(path, key), "باید درست/نادرست باشد.", "must be a boolean.")
    return value


def _uuid(data: Mapping[str, Any], key: str, path: str = "") -> str:
    value = _str(data, key, path)
    if not is_canonical_uuid(value):
        raise ProtocolError(
            _join(path, key),
            "شناسه باید UUID با حروف کوچک باشد.",
            "must be a lower-case hyphenated UUID.",
        )
    return value


def _opt_uuid(data: Mapping[str, Any], key: str, path: str = "") -> str | None:
    if data.get(key) is None:
        return None
    return _uuid(data, key, path)


def _time(data: Mapping[str, Any], key: str, path: str = "") -> str:
    value = _str(data, key, path)
    try:
        parse_utc_iso(value)
    except ValueError as exc:
        raise ProtocolError(
            _join(path, key),
            "زمان باید به قالب ISO 8601 با منطقهٔ زمانی باشد.",
            "must be an ISO 8601 time with a zone.",
        ) from exc
    return value


def _str_map(data: Mapping[str, Any], key: str, path: str = "") -> dict[str, str | None]:
    """An object of strings; null stands for "not answered" (the form decides if allowed)."""
    where = _join(path, key)
    if key not in data or data[key] is None:
        raise _missing(where)
    raw = _mapping(data[key], where)
    for name, value in raw.items():
        if value is not None and not isinstance(value, str):
            raise ProtocolError(_join(where, name), "باید متن باشد.", "must be a string.")
    return dict(raw)


def _int_map(data: Mapping[str, Any], key: str, path: str = "") -> dict[str, int]:
    where = _join(path, key)
    if key not in data or data[key] is None:
        raise _missing(where)
    raw = _mapping(data[key], where)
    for name in raw:
        _int(raw, name, where, minimum=0)
    return dict(raw)


def _str_list(data: Mapping[str, Any], key: str, path: str = "") -> list[str]:
    where = _join(path, key)
    if key not in data or data[key] is None:
        raise _missing(where)
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ProtocolError(where, "باید فهرستی از متن‌ها باشد.", "must be a list of strings.")
    return list(value)


def _list(data: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
    where = _join(path, key)
    if key not in data or data[key] is None:
        raise _missing(where)
    value = data[key]
    if not isinstance(value, list):
        raise ProtocolError(where, "باید فهرست باشد.", "must be a list.")
    return value


def reasons_to_json(reasons: Mapping[str, Reason] | None) -> dict[str, dict[str, str]] | None:
    if reasons is None:
        return None
    return {name: reason.to_json() for name, reason in reasons.items()}


def reasons_from_json(obj: Any, path: str = "reasons") -> dict[str, Reason] | None:
    if obj is None:
        return None
    data = _mapping(obj, path)
    return {name: Reason.from_json(value, _join(path, name)) for name, value in data.items()}


# --------------------------------------------------------------------------- push


@dataclass(frozen=True, slots=True)
class RequestItem:
    """One citizen's request as pushed; immutable once queued. See PROTOCOL.md."""

    id: str
    seq: int
    reference: str
    office_code: str
    clerk: str
    service_code: str
    catalog_version: int
    created_at: str  # kept as sent: the content hash covers the exact text
    applicant: dict[str, str | None]
    answers: dict[str, str | None]
    documents: list[str]
    fees: dict[str, int]
    card_ref: str | None = None
    supersedes: str | None = None
    content_hash: str = ""

    def content(self) -> dict[str, Any]:
        """The item's fields without ``content_hash``: what the hash covers."""
        return {
            "id": self.id,
            "seq": self.seq,
            "reference": self.reference,
            "office_code": self.office_code,
            "clerk": self.clerk,
            "service_code": self.service_code,
            "catalog_version": self.catalog_version,
            "created_at": self.created_at,
            "applicant": dict(self.applicant),
            "answers": dict(self.answers),
            "documents": list(self.documents),
            "fees": dict(self.fees),
            "card_ref": self.card_ref,
            "supersedes": self.supersedes,
        }

    def sealed(self) -> RequestItem:
        """This item with its ``content_hash`` computed."""
        return replace(self, content_hash=content_hash(self.content()))

    def hash_matches(self) -> bool:
        return self.content_hash == content_hash(self.content())

    def to_json(self) -> dict[str, Any]:
        data = self.content()
        data["content_hash"] = self.content_hash or content_hash(data)
        return data

    @classmethod
    def from_json(cls, obj: Any, path: str = "") -> RequestItem:
        data = _mapping(obj, path or "item")
        digest = _str(data, "content_hash", path)
        if not _HEX64.fullmatch(digest):
            raise ProtocolError(
                _join(path, "content_hash"),
                "باید sha256 به صورت هگز با حروف کوچک باشد.",
                "must be a lower-case sha256 hex digest.",
            )
        return cls(
            id=_uuid(data, "id", path),
            seq=_int(data, "seq", path, minimum=1),
            reference=_str(data, "reference", path),
            office_code=_str(data, "office_code", path, empty=False),
            clerk=_str(data, "clerk", path),
            service_code=_str(data, "service_code", path, empty=False),
            catalog_version=_int(data, "catalog_version", path, minimum=1),
            created_at=_time(data, "created_at", path),
            applicant=_str_map(data, "applicant", path),
            answers=_str_map(data, "answers", path),
            documents=_str_list(data, "documents", path),
            fees=_int_map(data, "fees", path),
            card_ref=_opt_str(data, "card_ref", path),
            supersedes=_opt_uuid(data, "supersedes", path),
            content_hash=digest,
        )


@dataclass(frozen=True, slots=True)
class PushRequest:
    device_id: str
    items: list[RequestItem]

    def to_json(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "items": [item.to_json() for item in self.items]}

    @classmethod
    def from_json(cls, obj: Any) -> PushRequest:
        data = _mapping(obj, "body")
        raw_items = _list(data, "items")
        return cls(
            device_id=_uuid(data, "device_id"),
            items=[RequestItem.from_json(raw, f"items.{n}") for n, raw in enumerate(raw_items)],
        )


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The server's answer for one item; same order as the pushed items.

    ``id`` is None only when the pushed item had no readable id.
    """

    id: str | None
    status: ItemStatus
    tracking_code: str | None = None
    reasons: dict[str, Reason] | None = None
    retry_after: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": str(self.status),
            "tracking_code": self.tracking_code,
            "reasons": reasons_to_json(self.reasons),
            "retry_after": self.retry_after,
        }

    @classmethod
    def from_json(cls, obj: Any, path: str = "result") -> ItemResult:
        data = _mapping(obj, path)
        status = _str(data, "status", path)
        try:
            parsed_status = ItemStatus(status)
        except ValueError as exc:
            raise ProtocolError(
                _join(path, "status"), "وضعیت ناشناخته است.", "unknown status."
            ) from exc
        return cls(
            id=_opt_str(data, "id", path),
            status=parsed_status,
            tracking_code=_opt_str(data, "tracking_code", path),
            reasons=reasons_from_json(data.get("reasons"), _join(path, "reasons")),
            retry_after=_opt_int(data, "retry_after", path, minimum=0),
        )


@dataclass(frozen=True, slots=True)
class PushResponse:
    results: list[ItemResult]
    seq_gaps: list[tuple[int, int]] = field(default_factory=list)
    server_time: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "results": [result.to_json() for result in self.results],
            "seq_gaps": [[low, high] for low, high in self.seq_gaps],
            "server_time": self.server_time or utc_now_iso(),
        }

    @classmethod
    def from_json(cls, obj: Any) -> PushResponse:
        data = _mapping(obj, "body")
        results = [
            ItemResult.from_json(raw, f"results.{n}")
            for n, raw in enumerate(_list(data, "results"))
        ]
        gaps: list[tuple[int, int]] = []
        for n, gap in enumerate(data.get("seq_gaps") or []):
            if (
                not isinstance(gap, list)
                or len(gap) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in gap)
            ):
                raise ProtocolError(
                    f"seq_gaps.{n}", "باید جفت عدد باشد.", "must be a pair of integers."
                )
            gaps.append((gap[0], gap[1]))
        return cls(results=results, seq_gaps=gaps, server_time=_time(data, "server_time"))


# --------------------------------------------------------------------------- change feed


@dataclass(frozen=True, slots=True)
class StatusChange:
    """What became of one of this office's requests."""

    request_id: str
    state: RemoteState
    at: str
    tracking_code: str | None = None
    reason_fa: str | None = None
    reason_en: str | None = None

    kind = ChangeKind.STATUS

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(ChangeKind.STATUS),
            "request_id": self.request_id,
            "state": str(self.state),
            "reason_fa": self.reason_fa,
            "reason_en": self.reason_en,
            "tracking_code": self.tracking_code,
            "at": self.at,
        }

    @classmethod
    def from_json(cls, obj: Any, path: str = "change") -> StatusChange:
        data = _mapping(obj, path)
        try:
            state = RemoteState(_str(data, "state", path))
        except ValueError as exc:
            raise ProtocolError(
                _join(path, "state"), "وضعیت ناشناخته است.", "unknown state."
            ) from exc
        return cls(
            request_id=_uuid(data, "request_id", path),
            state=state,
            at=_time(data, "at", path),
            tracking_code=_opt_str(data, "tracking_code", path),
            reason_fa=_opt_str(data, "reason_fa", path),
            reason_en=_opt_str(data, "reason_en", path),
        )


@dataclass(frozen=True, slots=True)
class CatalogChange:
    """A published catalogue version (the whole document)."""

    version: int
    catalog: dict[str, Any]
    at: str

    kind = ChangeKind.CATALOG

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": str(ChangeKind.CATALOG),
            "version": self.version,
            "catalog": self.catalog,
            "at": self.at,
        }

    @classmethod
    def from_json(cls, obj: Any, path: str = "change") -> CatalogChange:
        data = _mapping(obj, path)
        return cls(
            version=_int(data, "version", path, minimum=1),
            catalog=dict(_mapping(data.get("catalog"), _join(path, "catalog"))),
            at=_time(data, "at", path),
        )


Change = StatusChange | CatalogChange


def change_from_json(obj: Any, path: str = "change") -> Change:
    data = _mapping(obj, path)
    kind = data.get("kind")
    if kind == ChangeKind.STATUS:
        return StatusChange.from_json(data, path)
    if kind == ChangeKind.CATALOG:
        return CatalogChange.from_json(data, path)
    raise ProtocolError(_join(path, "kind"), "نوع تغییر ناشناخته است.", "unknown change kind.")


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """One page of the change feed. ``reset`` tells the client to drop its cursor."""

    changes: list[Change]
    cursor: str | None
    more: bool
    reset: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "changes": [change.to_json() for change in self.changes],
            "cursor": self.cursor,
            "more": self.more,
            "reset": self.reset,
        }

    @classmethod
    def from_json(cls, obj: Any) -> ChangesPage:
        data = _mapping(obj, "body")
        changes = [
            change_from_json(raw, f"changes.{n}") for n, raw in enumerate(_list(data, "changes"))
        ]
        return cls(
            changes=changes,
            cursor=_opt_str(data, "cursor"),
            more=_bool(data, "more"),
            reset=bool(data.get("reset", False)),
        )


# --------------------------------------------------------------------------- enrolment, heartbeat


@dataclass(frozen=True, slots=True)
class EnrolRequest:
    code: str
    device_id: str
    office_code: str
    counter_no: int
    device_name: str
    app_version: str

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "device_id": self.device_id,
            "office_code": self.office_code,
            "counter_no": self.counter_no,
            "device_name": self.device_name,
            "app_version": self.app_version,
        }

    @classmethod
    def from_json(cls, obj: Any) -> EnrolRequest:
        data = _mapping(obj, "body")
        return cls(
            code=_str(data, "code", empty=False),
            device_id=_uuid(data, "device_id"),
            office_code=_str(data, "office_code", empty=False),
            counter_no=_int(data, "counter_no", minimum=1),
            device_name=_str(data, "device_name"),
            app_version=_str(data, "app_version"),
        )


@dataclass(frozen=True, slots=True)
class EnrolResponse:
    device_token: str
    office_code: str
    office_name: str
    device_id: str
    counter_no: int

    def to_json(self) -> dict[str, Any]:
        return {
            "device_token": self.device_token,
            "office_code": self.office_code,
            "office_name": self.office_name,
            "device_id": self.device_id,
            "counter_no": self.counter_no,
        }

    @classmethod
    def from_json(cls, obj: Any) -> EnrolResponse:
        data = _mapping(obj, "body")
        return cls(
            device_token=_str(data, "device_token", empty=False),
            office_code=_str(data, "office_code"),
            office_name=_str(data, "office_name"),
            device_id=_uuid(data, "device_id"),
            counter_no=_int(data, "counter_no", minimum=1),
        )


@dataclass(frozen=True, slots=True)
class Heartbeat:
    queue_depth: int
    oldest_waiting_seconds: int | None
    app_version: str
    last_seq: int = 0
    attention: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "queue_depth": self.queue_depth,
            "oldest_waiting_seconds": self.oldest_waiting_seconds,
            "app_version": self.app_version,
            "last_seq": self.last_seq,
            "attention": self.attention,
        }

    @classmethod
    def from_json(cls, obj: Any) -> Heartbeat:
        data = _mapping(obj, "body")
        return cls(
            queue_depth=_int(data, "queue_depth", minimum=0),
            oldest_waiting_seconds=_opt_int(data, "oldest_waiting_seconds", minimum=0),
            app_version=_str(data, "app_version"),
            last_seq=_opt_int(data, "last_seq", minimum=0) or 0,
            attention=_opt_int(data, "attention", minimum=0) or 0,
        )


@dataclass(frozen=True, slots=True)
class HeartbeatResponse:
    server_time: str

    def to_json(self) -> dict[str, Any]:
        return {"server_time": self.server_time}

    @classmethod
    def from_json(cls, obj: Any) -> HeartbeatResponse:
        return cls(server_time=_time(_mapping(obj, "body"), "server_time"))


@dataclass(frozen=True, slots=True)
class ErrorBody:
    """Every error answer: a code, a message in both languages, reasons per field."""

    error: str
    message_fa: str
    message_en: str
    fields: dict[str, Reason] | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "error": self.error,
            "message_fa": self.message_fa,
            "message_en": self.message_en,
        }
        if self.fields:
            body["fields"] = reasons_to_json(self.fields)
        return body

    @classmethod
    def from_json(cls, obj: Any) -> ErrorBody:
        data = _mapping(obj, "body")
        return cls(
            error=_str(data, "error"),
            message_fa=_opt_str(data, "message_fa") or "",
            message_en=_opt_str(data, "message_en") or "",
            fields=reasons_from_json(data.get("fields"), "fields"),
        )


def seq_ranges(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Collapse sorted distinct integers into inclusive ``(from, to)`` ranges."""
    ranges: list[tuple[int, int]] = []
    for number in numbers:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges
