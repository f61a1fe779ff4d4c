"""Sync protocol version 1: the wire types shared by the counter program and the server.

docs/PROTOCOL.md is the prose; this module is the code both sides import. Every message is
a msgspec ``Struct`` whose annotations carry the protocol's bounds (integer ranges that fit
the database columns on SQLite and PostgreSQL, string lengths, the UUID and time formats,
no NUL characters), so a message is checked once, by :func:`decode`, on whichever side
reads it, and the server's OpenAPI document is generated from the same types. Domain rules
(is this a valid national code, does the service exist) are not checked here: that is the
catalogue's job (``rules.catalog``).

Bilingual texts (a rejected item's reasons, the fields of an error) are
``rules.messages.Message(fa, en)``, encoded as ``{"fa": ..., "en": ...}``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, TypeVar

import msgspec
from msgspec import Meta, Struct, field

from rules.messages import Message
from sync.protocol_errors import CALENDAR_ERROR, NUL_ERROR, decode_error
from sync.protocol_errors import ProtocolError as ProtocolError  # re-exported

PROTOCOL_VERSION = 1
#: Revision 2 of protocol 1 (issue 11), asked for by the client in the message itself (the
#: push body's ``revision``, the changes call's ``revision`` parameter), so an older server
#: ignores it and answers as before, and an older client, which never asks, gets the old
#: answers: compact push answers, a feed without the device's own acceptances, byte-sized
#: pages, and the heartbeat riding on the changes call.
PROTOCOL_REVISION = 2
#: Revision 3 (issue 11): a push without each item's content hash. The server computes every
#: hash from the content it received (it did before, to compare), and the batch carries one
#: digest of the PC's stored hashes in push order (:func:`batch_digest`), so what is stored
#: is still exactly what the counter hashed at the save, for 32 bytes a push instead of 32
#: an item (a third of a zstd push). A PC sends it only to a server whose answers said
#: ``Pishkhan-Revision: 3``; a digest that does not match, or an item that cannot be read,
#: makes the whole push a 422 with nothing stored, and the PC sends that batch again in
#: revision 2, where each item is answered on its own. An older server refuses the body as
#: a whole too (its required ``items`` is missing), never item by item.
LEAN_REVISION = 3
API_PREFIX = "/v1"

# Header names.
PROTOCOL_HEADER = "X-Pishkhan-Protocol"
AUTHORIZATION_HEADER = "Authorization"
CONTENT_ENCODING_HEADER = "Content-Encoding"
RETRY_AFTER_HEADER = "Retry-After"
#: Revision 2, push receipts (issue 11): the batch key a PC names a push with (a UUID of
#: its own, new per push), and the header a server that stores receipts puts on its push
#: answers. After a push whose answer was lost, ``GET PATH_RECEIPTS + key`` gives that
#: push's answer back to the same device (404: not stored, send the batch again).
PUSH_KEY_HEADER = "Pishkhan-Push-Key"
RECEIPTS_HEADER = "Pishkhan-Receipts"
#: The newest revision a server takes, on every one of its answers (3: lean pushes).
REVISION_HEADER = "Pishkhan-Revision"

# Paths (all under API_PREFIX).
PATH_HEALTH = "/v1/health"
PATH_ENROL = "/v1/enrol"
PATH_PUSH = "/v1/push"
PATH_CHANGES = "/v1/changes"
PATH_HEARTBEAT = "/v1/heartbeat"
PATH_RECEIPTS = "/v1/push/receipts/"  # + the batch key

# Limits: the server enforces them, the client keeps under them.
MAX_ITEMS_PER_PUSH = 500
# A full batch of items of up to 16 KiB each (the demo catalogue's largest item, every text
# at its longest in 4-byte characters, is 4.9 KB): a batch past it gets 413, the client halves it,
# so a larger item still goes, in a smaller batch. Every byte past it is CPU an attacker
# with a token could make the server spend (issue 10; server/limits.py).
MAX_ITEM_BYTES = 16 * 1024
MAX_INFLATED_BYTES = MAX_ITEMS_PER_PUSH * MAX_ITEM_BYTES  # a gzip body once inflated: 8 MiB
# A request body as sent (compressed): a blob chunk (1 MiB) and a full push (gzip -9 shrinks
# the wire items 5.6 times) fit; the body is read before authentication, on the event loop.
MAX_BODY_BYTES = 2 * 1024 * 1024
DEFAULT_CHANGES_LIMIT = 200
MAX_CHANGES_LIMIT = 1000
#: A page's budget in bytes of JSON (revision 2's ``max_bytes``); a page always carries at
#: least one change, whatever its size.
MIN_PAGE_BYTES = 1024
MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_BACKOFF_SECONDS = 15 * 60

# Bounds of values. PostgreSQL's ``integer`` is 32 bits, so every counted thing that lands
# in a column stays below 2^31; money is kept in the payload only, bounded well inside
# both a 64-bit integer and a JavaScript number.
INT32_MAX = 2**31 - 1
MONEY_MAX = 10**15
MAX_COUNTER_NO = 999


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
    DEVICE_OF_ANOTHER_OFFICE = "device_of_another_office"  # device id enrolled elsewhere (409)
    COUNTER_TAKEN = "counter_taken"  # an active device already has that counter (409)
    DEVICE_MISMATCH = "device_mismatch"  # push body's device_id is not the token's device
    UNSUPPORTED_MEDIA = "unsupported_media"  # a Content-Encoding other than gzip (415)
    TOO_MANY_FAILURES = "too_many_failures"  # failed authentication throttled (429)
    TIMEOUT = "timeout"  # the body did not arrive in time (408)
    UNAVAILABLE = "unavailable"  # the server's database is busy or down (503, Retry-After)
    INTERNAL = "internal"  # a bug on the server (500)


# --------------------------------------------------------------------------- value types

_NO_NUL = r"^[^\x00]*$"
# What str(uuid.UUID(...)) produces: lower-case, hyphenated.
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
HEX64_PATTERN = r"^[0-9a-f]{64}$"
OFFICE_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,16}$"
# UTC or an offset of at most 14 hours, years 2000-2099: a time that can be stored, and
# turned into the office's Tehran date, on both databases without overflowing.
TIME_PATTERN = (
    r"^20[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00)$"
)


def _text(
    max_length: int, min_length: int = 0, description: str = "", *, scan: bool = False
) -> Meta:
    """A string of bounded length with no NUL character (PostgreSQL text refuses NUL).

    ``scan``: the NUL check is left to the struct's ``__post_init__`` (one ``in`` test over
    all of a pushed item's strings costs a tenth of a regular expression per string, and a
    push carries hundreds of items); the schema states the same pattern either way."""
    extra: dict[str, Any] = {"description": description} if description else {}
    if scan:
        return Meta(
            min_length=min_length,
            max_length=max_length,
            extra_json_schema={"pattern": _NO_NUL},
            **extra,
        )
    return Meta(min_length=min_length, max_length=max_length, pattern=_NO_NUL, **extra)


def _answer(max_length: int) -> Meta:
    """A string in an answer of the server's: bounded, read as it comes."""
    return Meta(max_length=max_length)


Uuid = Annotated[str, Meta(pattern=UUID_PATTERN, description="lower-case hyphenated UUID")]
Hex64 = Annotated[str, Meta(pattern=HEX64_PATTERN, description="lower-case sha256 hex")]
OfficeCode = Annotated[
    str, Meta(pattern=OFFICE_CODE_PATTERN, description="1 to 16 Latin letters, digits, - or _")
]
Timestamp = Annotated[
    str, Meta(pattern=TIME_PATTERN, description="ISO 8601 time with a zone, years 2000-2099")
]
Count = Annotated[int, Meta(ge=0, le=INT32_MAX)]
Seq = Annotated[int, Meta(ge=1, le=INT32_MAX)]
Version = Annotated[int, Meta(ge=1, le=INT32_MAX)]
CounterNo = Annotated[int, Meta(ge=1, le=MAX_COUNTER_NO)]
Money = Annotated[int, Meta(ge=0, le=MONEY_MAX, description="rials")]
# Strings sent to the server (they reach its columns).
Text40 = Annotated[str, _text(40)]
# A word such as "up_to_date" or "rolled_back" (updates.pointer): what a PC's updater is at.
UpdateStateWord = Annotated[str, Meta(max_length=20, pattern=r"^[a-z_]*$")]
Text100 = Annotated[str, _text(100)]
Name = Annotated[str, _text(200, 1)]
Label = Annotated[str, _text(2000)]  # a reason or a message in one language
EnrolmentCode = Annotated[str, _text(64, 1, "the one-time code, e.g. ABCD-EFGH-JKLM")]
# ... in a pushed item (NUL checked by RequestContent.__post_init__).
ItemText = Annotated[str, _text(64, scan=True)]
ItemCode = Annotated[str, _text(64, 1, scan=True)]
FormValue = Annotated[str, _text(4000, scan=True)]
# Strings in the server's answers.
AnswerText = Annotated[str, _answer(200)]
AnswerLabel = Annotated[str, _answer(4000)]
TrackingCode = Annotated[str, _answer(40)]
Cursor = Annotated[str, _answer(200)]
Token = Annotated[str, Meta(min_length=1, max_length=200)]


def utc_iso(moment: datetime) -> str:
    """``2026-11-28T09:15:00.123Z``: UTC, milliseconds, ``Z``. Naive times are refused."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("utc_iso needs a timezone-aware datetime")
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def utc_now_iso() -> str:
    return utc_iso(datetime.now(UTC))


def parse_utc_iso(value: str) -> datetime:
    """Parse an ISO 8601 time with a zone (``Z`` or an offset) into an aware UTC datetime."""
    if not isinstance(value, str) or "T" not in value:
        raise ValueError(f"not an ISO 8601 date-time: {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"time without a zone: {value!r}")
    return parsed.astimezone(UTC)


def _check_time(value: str, name: str) -> None:
    """The pattern has the shape and the range; the calendar (30 February) is checked here."""
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{CALENDAR_ERROR}{name}") from None


def is_canonical_uuid(value: Any) -> bool:
    """True for a UUID in its lower-case hyphenated form (ids are compared as strings)."""
    try:
        msgspec.convert(value, Uuid)
    except msgspec.ValidationError:
        return False
    return True


# --------------------------------------------------------------------------- canonical form

_CANONICAL = msgspec.json.Encoder(order="sorted")


def canonical_json(obj: Any) -> bytes:
    """The one byte form of a JSON value that both sides hash (see PROTOCOL.md): keys
    sorted, compact, UTF-8 unescaped; byte for byte what ``json.dumps(obj, sort_keys=True,
    ensure_ascii=False, separators=(",", ":"))`` gives (tests/server/test_protocol.py)."""
    return _CANONICAL.encode(obj)


def content_hash(item: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of a request item (as a plain mapping) without its
    ``content_hash``: what :meth:`RequestItem.computed_hash` gives for the same item."""
    body = {key: value for key, value in item.items() if key != "content_hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


# --------------------------------------------------------------------------- push


MAX_SCAN_BYTES = 16 * 1024 * 1024  # one blob, as /v1/blobs takes it


class ScanRef(Struct, frozen=True, forbid_unknown_fields=True):
    """One scanned part a request carries: its blob (uploaded on its own, /v1/blobs)."""

    document: ItemCode  # the catalogue's document code
    sha256: Hex64
    size: Annotated[int, Meta(ge=1, le=MAX_SCAN_BYTES)]
    pages: Annotated[int, Meta(ge=1, le=1000)]


class RequestContent(Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Everything of a request item that its content hash covers.

    ``scans`` (protocol 1.1, issue 12) is left out of the JSON when there are none, so an
    item without scans hashes and encodes byte for byte as in 1.0.
    """

    id: Uuid
    seq: Seq
    reference: ItemText
    office_code: OfficeCode
    clerk: ItemText
    service_code: ItemCode
    catalog_version: Version
    created_at: Timestamp  # kept as sent: the content hash covers the exact text
    applicant: Annotated[dict[ItemCode, FormValue | None], Meta(max_length=16)]
    answers: Annotated[dict[ItemCode, FormValue | None], Meta(max_length=200)]
    documents: Annotated[list[ItemCode], Meta(max_length=100)]
    fees: Annotated[dict[ItemCode, Money], Meta(max_length=8)]
    card_ref: ItemText | None
    supersedes: Uuid | None
    scans: Annotated[list[ScanRef], Meta(max_length=100)] | None = None

    def __post_init__(self) -> None:
        _check_time(self.created_at, "created_at")
        if "\x00" in self._all_text():
            raise ValueError(f"{NUL_ERROR}{self._nul_field()}")

    def _all_text(self) -> str:
        applicant, answers = self.applicant, self.answers
        parts = (
            self.reference,
            self.clerk,
            self.service_code,
            self.card_ref or "",
            *applicant,
            *(v for v in applicant.values() if v),
            *answers,
            *(v for v in answers.values() if v),
            *self.documents,
            *self.fees,
            *(scan.document for scan in self.scans or ()),
        )
        try:
            return "".join(parts)
        except TypeError:  # built in Python from a damaged store: the encoder names it
            return "".join(part for part in parts if isinstance(part, str))

    def _nul_field(self) -> str:
        """Which field holds the NUL (only once one was found)."""
        for name in ("reference", "clerk", "service_code", "card_ref"):
            if "\x00" in (getattr(self, name) or ""):
                return name
        for name in ("applicant", "answers", "fees"):
            block: Mapping[str, Any] = getattr(self, name)
            for key, value in block.items():
                if "\x00" in key:
                    return name
                if isinstance(value, str) and "\x00" in value:
                    return f"{name}.{key}"
        return "documents"


class RequestItem(RequestContent, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One citizen's request as pushed; immutable once queued. See PROTOCOL.md.

    The content hash is defined here and only here: sha256 of the canonical JSON of the
    item's fields without ``content_hash``."""

    content_hash: Hex64

    def canonical_content(self) -> bytes:
        """The canonical JSON of the fields the hash covers (what the server stores)."""
        fields = msgspec.structs.astuple(self)[:-1]
        return _CANONICAL.encode(RequestContent(*fields))

    def computed_hash(self) -> str:
        return hashlib.sha256(self.canonical_content()).hexdigest()

    def sealed(self) -> RequestItem:
        """This item with its ``content_hash`` computed."""
        return msgspec.structs.replace(self, content_hash=self.computed_hash())

    def hash_matches(self) -> bool:
        return self.content_hash == self.computed_hash()

    def office_today(self, zone: dt.tzinfo) -> dt.date:
        """The date in ``zone`` when the request was made (in range by the type's bounds)."""
        return parse_utc_iso(self.created_at).astimezone(zone).date()


Revision = Annotated[int, Meta(ge=1, le=255, description="1 if absent; 2: issue 11")]


class PushBody(Struct, frozen=True):
    """``POST /v1/push``: a batch of this device's requests (gzip JSON)."""

    device_id: Uuid
    items: Annotated[list[RequestItem], Meta(max_length=MAX_ITEMS_PER_PUSH)]
    revision: Revision = 1


class LeanPushBody(Struct, frozen=True, forbid_unknown_fields=True):
    """``POST /v1/push``, revision 3: the items without their content hashes, and the
    batch's ``digest`` (:func:`batch_digest` of the hashes the PC stored at each save)."""

    device_id: Uuid
    contents: Annotated[list[RequestContent], Meta(max_length=MAX_ITEMS_PER_PUSH)]
    digest: Hex64
    revision: Annotated[int, Meta(ge=LEAN_REVISION, le=255)] = LEAN_REVISION

    @classmethod
    def of(cls, device_id: str, items: Sequence[RequestItem]) -> LeanPushBody:
        fields = len(RequestContent.__struct_fields__)
        contents = [RequestContent(*msgspec.structs.astuple(item)[:fields]) for item in items]
        return cls(device_id, contents, batch_digest([item.content_hash for item in items]))


def batch_digest(hashes: Sequence[str]) -> str:
    """sha256 hex of the items' content hashes (32 bytes each, in push order), joined."""
    return hashlib.sha256(b"".join(bytes.fromhex(h) for h in hashes)).hexdigest()


class ItemResult(Struct, frozen=True):
    """The server's answer for one item; same order as the pushed items.

    ``id`` is None only when the pushed item had no readable id.
    """

    id: AnswerText | None
    status: ItemStatus
    tracking_code: TrackingCode | None = None
    reasons: dict[AnswerText, Message] | None = None
    retry_after: Count | None = None


class PushResponse(Struct, frozen=True):
    results: list[ItemResult]
    seq_gaps: list[tuple[Count, Count]] = field(default_factory=list)
    server_time: Timestamp = ""


# Revision 2's compact push answer: one letter per item, in push order.
STATUS_LETTERS: dict[ItemStatus, str] = {
    ItemStatus.ACCEPTED: "a",
    ItemStatus.DUPLICATE: "d",
    ItemStatus.CONFLICT: "c",
    ItemStatus.REJECTED: "r",
    ItemStatus.RETRY: "t",
}
_LETTER_STATUS = {letter: status for status, letter in STATUS_LETTERS.items()}
_WITH_CODE = frozenset({ItemStatus.ACCEPTED, ItemStatus.DUPLICATE})


class ItemNote(Struct, frozen=True, omit_defaults=True):
    """What a compact answer says of one item beyond its status."""

    reasons: dict[AnswerText, Message] | None = None
    retry_after: Count | None = None


class CompactPushResponse(Struct, frozen=True, omit_defaults=True):
    """``POST /v1/push`` answered for revision 2: what the PC does not already know.

    The PC knows which items it sent and in what order, so the ids are not echoed:
    ``statuses`` has one letter per item (``STATUS_LETTERS``), ``codes`` the tracking codes
    of the accepted and duplicate items in push order, as runs ``(first code, length)`` of
    codes whose numbers follow each other (a batch's new codes are one run), and ``notes``
    the reasons and retry waits by item position."""

    count: Count
    statuses: Annotated[str, Meta(max_length=100_000)]
    codes: list[tuple[TrackingCode, Count]] = field(default_factory=list)
    notes: dict[Count, ItemNote] = field(default_factory=dict)
    seq_gaps: list[tuple[Count, Count]] = field(default_factory=list)
    server_time: Timestamp = ""

    @classmethod
    def of(cls, response: PushResponse) -> CompactPushResponse:
        notes = {
            i: ItemNote(reasons=r.reasons, retry_after=r.retry_after)
            for i, r in enumerate(response.results)
            if r.reasons is not None or r.retry_after is not None
        }
        return cls(
            count=len(response.results),
            statuses="".join(STATUS_LETTERS[r.status] for r in response.results),
            codes=code_runs(
                [r.tracking_code or "" for r in response.results if r.status in _WITH_CODE]
            ),
            notes=notes,
            seq_gaps=response.seq_gaps,
            server_time=response.server_time,
        )

    def expanded(self, ids: Sequence[str]) -> PushResponse:
        """The full answer, the ids taken from what was sent (``ids``, in push order).
        ProtocolError if the answer does not fit the push."""
        if self.count != len(ids) or len(self.statuses) != len(ids):
            raise ProtocolError(
                "count", "شمار پاسخ‌ها با ارسال نمی‌خواند.", f"{self.count} answers, {len(ids)} sent"
            )
        if sum(length for _, length in self.codes) > len(ids):
            raise ProtocolError("codes", "کد رهگیری زیاد است.", "more tracking codes than items")
        codes = iter(expand_runs(self.codes))
        results: list[ItemResult] = []
        for index, (item_id, letter) in enumerate(zip(ids, self.statuses, strict=True)):
            status = _LETTER_STATUS.get(letter)
            if status is None:
                raise ProtocolError("statuses", "وضعیت ناشناخته", f"unknown status {letter!r}")
            code = next(codes, None) if status in _WITH_CODE else None
            if status in _WITH_CODE and not code:
                raise ProtocolError(
                    "codes", "کد رهگیری کم است.", "fewer tracking codes than accepted"
                )
            note = self.notes.get(index, _NO_NOTE)
            results.append(ItemResult(item_id, status, code, note.reasons, note.retry_after))
        if next(codes, None) is not None:
            raise ProtocolError("codes", "کد رهگیری زیاد است.", "more tracking codes than accepted")
        return PushResponse(results=results, seq_gaps=self.seq_gaps, server_time=self.server_time)


_NO_NOTE = ItemNote()


class PushAnswer(Struct, frozen=True):
    """What a client of revision 2 reads back from a push: the compact answer, or, from a
    server of revision 1, the full one (``results``)."""

    results: list[ItemResult] | None = None
    count: Count | None = None
    statuses: Annotated[str, Meta(max_length=100_000)] = ""
    codes: list[tuple[TrackingCode, Count]] = field(default_factory=list)
    notes: dict[Count, ItemNote] = field(default_factory=dict)
    seq_gaps: list[tuple[Count, Count]] = field(default_factory=list)
    server_time: Timestamp = ""

    def response(self, ids: Sequence[str]) -> PushResponse:
        if self.results is not None:
            return PushResponse(self.results, self.seq_gaps, self.server_time)
        if self.count is None:
            raise ProtocolError("results", "پاسخ ارسال ناقص است.", "neither results nor count")
        compact = CompactPushResponse(
            self.count, self.statuses, self.codes, self.notes, self.seq_gaps, self.server_time
        )
        return compact.expanded(ids)


def _split_code(code: str) -> tuple[str, str]:
    """(prefix, trailing digits) of a tracking code."""
    stem = code.rstrip("0123456789")
    return stem, code[len(stem) :]


def code_runs(codes: Sequence[str]) -> list[tuple[str, int]]:
    """Tracking codes as runs ``(first, length)``: ``PK-1-0007, PK-1-0008`` → ``(PK-1-0007,
    2)``. A run goes on while the prefix and the digits' width stay and the number grows by
    one; any other code starts a run of its own (codes of any form survive)."""
    runs: list[tuple[str, int]] = []
    last: tuple[str, int, int] | None = None  # prefix, width, number of the run's last code
    for code in codes:
        prefix, digits = _split_code(code)
        number = int(digits) if digits else -2
        if (
            runs
            and last is not None
            and digits
            and last == (prefix, len(digits), number - 1)
            and len(str(number)) <= len(digits)
        ):
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((code, 1))
        last = (prefix, len(digits), number)
    return runs


def expand_runs(runs: Sequence[tuple[str, int]]) -> list[str]:
    """The codes of :func:`code_runs`' runs, in order."""
    codes: list[str] = []
    for first, length in runs:
        prefix, digits = _split_code(first)
        if length > 1 and not digits:
            raise ProtocolError("codes", "دنبالهٔ کد نادرست", f"a run of {length} from {first!r}")
        start = int(digits) if digits else 0
        if len(str(start + length - 1)) > len(digits) and length > 1:
            raise ProtocolError("codes", "دنبالهٔ کد نادرست", f"a run past the digits of {first!r}")
        codes.append(first)
        codes.extend(f"{prefix}{start + k:0{len(digits)}d}" for k in range(1, length))
    return codes


# --------------------------------------------------------------------------- change feed


class StatusChange(Struct, frozen=True, tag_field="kind", tag="status"):
    """What became of one of this office's requests."""

    # In this order on the wire, as protocol v1 has always written them.
    request_id: Uuid
    state: RemoteState
    reason_fa: AnswerLabel | None
    reason_en: AnswerLabel | None
    tracking_code: TrackingCode | None
    at: Timestamp

    kind: ClassVar[ChangeKind] = ChangeKind.STATUS


class CatalogChange(Struct, frozen=True, tag_field="kind", tag="catalog"):
    """A published catalogue version (the whole document)."""

    version: Version
    catalog: dict[str, Any]
    at: Timestamp

    kind: ClassVar[ChangeKind] = ChangeKind.CATALOG


Change = StatusChange | CatalogChange


class ChangesPage(Struct, frozen=True):
    """One page of the change feed. ``reset`` tells the client to drop its cursor."""

    changes: list[Change]
    cursor: Cursor | None
    more: bool
    reset: bool = False


# --------------------------------------------------------------------------- enrolment, heartbeat


class EnrolRequest(Struct, frozen=True):
    code: EnrolmentCode
    device_id: Uuid
    office_code: OfficeCode
    counter_no: CounterNo
    device_name: Text100 = ""
    app_version: Text40 = ""


class EnrolResponse(Struct, frozen=True):
    device_token: Token
    office_code: OfficeCode
    office_name: AnswerText
    device_id: Uuid
    counter_no: CounterNo


class Heartbeat(Struct, frozen=True):
    queue_depth: Count
    oldest_waiting_seconds: Count | None = None
    app_version: Text40 = ""
    last_seq: Count = 0
    attention: Count = 0
    # Issue 16 (optional; older PCs leave it out): up_to_date, downloading, ready,
    # switched, rolled_back, refused (updates.pointer / updates.client).
    update_state: UpdateStateWord = ""


class HeartbeatResponse(Struct, frozen=True):
    server_time: Timestamp
    # Issue 16 (optional; older PCs ignore unknown fields): the centre's minimum version
    # and from when it holds; before that the PC only reminds the clerk.
    minimum_version: Text40 = ""
    minimum_version_after: Timestamp | None = None


class ChangesPage2(ChangesPage, frozen=True):
    """A page of the feed for revision 2: the answer to the heartbeat that rode on this
    call (``heartbeat`` parameter), if one did; a revision-1 page reads as one without."""

    heartbeat: HeartbeatResponse | None = None


class ErrorBody(Struct, frozen=True, omit_defaults=True):
    """Every error answer: a code, a message in both languages, reasons per field."""

    error: AnswerText
    message_fa: AnswerLabel = ""
    message_en: AnswerLabel = ""
    fields: dict[AnswerText, Message] | None = None


class Health(Struct, frozen=True):
    status: str
    protocol: int
    server_time: Timestamp


# --------------------------------------------------------------------------- reading and writing

T = TypeVar("T")
_ENCODER = msgspec.json.Encoder()
_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def encode(message: Any) -> bytes:
    """Compact UTF-8 JSON of a message (raises UnicodeEncodeError for a lone surrogate)."""
    return _ENCODER.encode(message)


def decode(data: bytes | bytearray | memoryview | str, kind: type[T]) -> T:
    """Read one message of type ``kind``; :class:`ProtocolError` names the bad field.

    Malformed JSON (including a lone surrogate escape) is a ProtocolError with
    ``malformed`` set, so a server answers 400 and a client treats it as a bad answer."""
    decoder = _DECODERS.get(kind)
    if decoder is None:
        decoder = _DECODERS.setdefault(kind, msgspec.json.Decoder(kind))
    try:
        return decoder.decode(data)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise decode_error(exc, data, kind) from None
    except RecursionError:  # nested past msgspec's depth: not a message of ours either
        raise decode_error(msgspec.DecodeError("nested too deeply"), data, kind) from None


def convert(obj: Any, kind: type[T]) -> T:
    """Check an already-parsed value (a dict from elsewhere) against a message type."""
    try:
        return msgspec.convert(obj, kind)
    except msgspec.ValidationError as exc:
        raise decode_error(exc, None, kind) from None


def seq_ranges(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Collapse sorted distinct integers into inclusive ``(from, to)`` ranges."""
    ranges: list[tuple[int, int]] = []
    for number in numbers:
        if ranges and number == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], number)
        else:
            ranges.append((number, number))
    return ranges
