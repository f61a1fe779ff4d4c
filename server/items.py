"""Checks of one pushed item that need no database: shape and bounds (the protocol's
``RequestItem`` type), content hash, office, and the counter's own form rules
(``rules.catalog.validate_request``) under the catalogue version the item names, with the
office's date on the day it was made as "today" (a request queued for weeks must not go
stale). CPU only: run before the push's transaction.

Each item of a push is decoded on its own (the push envelope keeps them as raw JSON), so
one bad item is rejected with its field path while the others go on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import msgspec

from rules.catalog import Catalog, CatalogError, ValidationFailed, validate_request
from server.offices import AuthDevice
from sync.protocol import (
    Hex64,
    Message,
    ProtocolError,
    RequestContent,
    RequestItem,
    Revision,
    Uuid,
    batch_digest,
    canonical_json,
    decode,
)

TEHRAN = ZoneInfo("Asia/Tehran")

R_HASH = Message(
    "اثر انگشت محتوا با محتوای درخواست نمی‌خواند؛ درخواست در راه تغییر کرده است.",
    "The content hash does not match the content; the request changed on the way.",
)
R_DIGEST = Message(
    "اثر انگشت دسته با درخواست‌های آن نمی‌خواند؛ دسته را با اثر انگشت هر درخواست دوباره بفرستید.",
    "The batch's digest does not match its requests; send it again with each item's hash.",
)
R_NOT_LEAN = Message(
    "در ارسال بدون اثر انگشت (revision 3) درخواست‌ها در contents می‌آیند، نه items.",
    "A push of revision 3 carries its requests in contents, not items.",
)
R_OFFICE = Message(
    "این درخواست برای دفتر دیگری است؛ این رایانه فقط برای دفتر خودش می‌فرستد.",
    "This request belongs to another office; this PC sends only for its own office.",
)
R_UNKNOWN_VERSION = Message(
    "این نسخهٔ فهرست خدمات در سرور نیست.",
    "This service catalogue version is not known to the server.",
)
R_FEES = Message(
    "مبالغ درخواست با تعرفهٔ فهرست خدمات نمی‌خواند.",
    "The fees do not match the service catalogue's tariff.",
)


class PushEnvelope(msgspec.Struct, frozen=True):
    """The push body as the server first reads it: the items stay one raw JSON text
    (msgspec skips over it at C speed) until :func:`split_items` cuts it into one text per
    item, each then decoded on its own (the OpenAPI document shows
    ``sync.protocol.PushBody``)."""

    device_id: Uuid
    # Absent is an empty Raw (msgspec has no optional Raw): ``items`` is required up to
    # revision 2, ``contents`` (the items without their hashes) in 3; the route says so.
    items: msgspec.Raw = msgspec.Raw()
    revision: Revision = 1
    contents: msgspec.Raw = msgspec.Raw()
    digest: Hex64 | None = None  # revision 3: sync.protocol.batch_digest of their hashes


class BatchRefused(ValueError):
    """A push of revision 3 refused as a whole (422, nothing stored): its digest does not
    match the hashes of what arrived, or an item could not be read (then no digest can be
    checked). The PC sends the batch again in revision 2, each item answered on its own."""

    def __init__(self, fields: dict[str, Message]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


# Cutting the items into raw texts costs per element, and msgspec holds the GIL while it
# does: 16 million tiny elements (a 32 MiB "[0,0,...]") took seconds. No element can be
# where there is no comma, so a count of commas (a fast scan) bounds the work first; 500
# real items carry some 20,000.
MAX_ITEM_SEPARATORS = 100_000


def split_items(items: msgspec.Raw, limit: int) -> list[msgspec.Raw] | None:
    """One raw text per pushed item; None if there are more than ``limit`` of them (or so
    many separators that there could be). A ProtocolError if ``items`` is not a list."""
    if bytes(items).count(b",") > max(MAX_ITEM_SEPARATORS, limit):
        return None
    parts = decode(items, list[msgspec.Raw])
    return parts if len(parts) <= limit else None


class _SentId(msgspec.Struct):
    """Just the id of an item that failed its checks, to echo it in the answer."""

    id: object = None


@dataclass
class PreparedItem:
    """One pushed item after the checks that need no database."""

    id: str | None  # as sent, if it was a readable string (echoed in the answer)
    item: RequestItem | None = None
    content_hash: str = ""
    payload: str = ""  # canonical JSON of the item without its hash, as stored
    reasons: dict[str, Message] | None = None  # rejected whatever the database says
    form_reasons: dict[str, Message] | None = None  # rejected unless a duplicate


def _sent_id(raw: msgspec.Raw) -> str | None:
    try:
        sent = msgspec.json.decode(raw, type=_SentId).id
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return sent if isinstance(sent, str) and len(sent) <= 200 else None


def decode_item(raw: msgspec.Raw, device: AuthDevice) -> PreparedItem:
    """Shape, bounds, hash and office of one item (CPU only, no catalogue)."""
    try:
        item = decode(raw, RequestItem)
    except ProtocolError as exc:
        field = "item" if exc.field == "body" else exc.field
        return PreparedItem(id=_sent_id(raw), reasons={field: exc.reason})
    body = item.canonical_content()
    return _checked(item, body, hashlib.sha256(body).hexdigest(), device, sent=item.content_hash)


def decode_lean(raws: list[msgspec.Raw], digest: str, device: AuthDevice) -> list[PreparedItem]:
    """The items of a revision-3 push, each hashed here from what arrived; BatchRefused
    unless every one could be read and their hashes give the PC's ``digest``."""
    prepared: list[PreparedItem] = []
    unreadable: dict[str, Message] = {}
    for index, raw in enumerate(raws):
        try:
            content = decode(raw, RequestContent)
        except ProtocolError as exc:
            field = "" if exc.field == "body" else f".{exc.field}"
            unreadable[f"contents.{index}{field}"] = exc.reason
            continue
        body = canonical_json(content)
        content_hash = hashlib.sha256(body).hexdigest()
        item = RequestItem(*msgspec.structs.astuple(content), content_hash=content_hash)
        prepared.append(_checked(item, body, content_hash, device))
    if unreadable:
        raise BatchRefused({"digest": R_DIGEST, **unreadable})
    if batch_digest([p.content_hash for p in prepared]) != digest:
        raise BatchRefused({"digest": R_DIGEST})
    return prepared


def _checked(
    item: RequestItem, body: bytes, content_hash: str, device: AuthDevice, *, sent: str = ""
) -> PreparedItem:
    """One decoded item, ``body`` its canonical content and ``content_hash`` that body's
    sha256: the hash it was sent with (revision 2, ``sent``) compared, then its office."""
    prepared = PreparedItem(
        id=item.id, item=item, content_hash=content_hash, payload=body.decode("utf-8")
    )
    if sent and content_hash != sent:
        prepared.reasons = {"content_hash": R_HASH}
    elif item.office_code != device.office_code:
        prepared.reasons = {"office_code": R_OFFICE}
    return prepared


def check_form(prepared: PreparedItem, catalogs: Mapping[int, Catalog]) -> None:
    """The counter's form rules for an item that passed :func:`decode_item`."""
    item = prepared.item
    if item is None or prepared.reasons is not None:
        return
    prepared.form_reasons = _form_reasons(item, catalogs.get(item.catalog_version))


def _form_reasons(item: RequestItem, catalog: Catalog | None) -> dict[str, Message] | None:
    if catalog is None:
        return {"catalog_version": R_UNKNOWN_VERSION}
    try:
        service = catalog.service(item.service_code)
    except CatalogError as exc:
        return {"service_code": exc.message}
    try:
        form = validate_request(
            service,
            item.applicant,  # type: ignore[arg-type]  # None means "not answered" there too
            item.answers,  # type: ignore[arg-type]
            item.documents,
            today=item.office_today(TEHRAN),
            # Scans named (protocol 1.1) are checked as the counter checked them; an item
            # without the field (1.0) says nothing about scans and is not judged on them.
            scanned=_pages_by_document(item),
        )
    except ValidationFailed as exc:
        return dict(exc.errors)
    if dict(item.fees) != form.fees.to_dict():
        return {"fees": R_FEES}
    return None


def prepare(raw: msgspec.Raw, device: AuthDevice, catalogs: Mapping[int, Catalog]) -> PreparedItem:
    """Everything about one item that needs no database (CPU only)."""
    prepared = decode_item(raw, device)
    check_form(prepared, catalogs)
    return prepared


def _pages_by_document(item: RequestItem) -> dict[str, int] | None:
    if item.scans is None:
        return None
    pages: dict[str, int] = {}
    for scan in item.scans:
        pages[scan.document] = pages.get(scan.document, 0) + scan.pages
    return pages
