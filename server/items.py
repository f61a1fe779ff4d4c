"""Checks of one pushed item that need no database: shape, content hash, office, and the
counter's own form rules (``rules.catalog.validate_request``) under the catalogue version
the item names, with the office's date on the day it was made as "today" (a request queued
for weeks must not go stale). CPU only: run before the push's transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from rules.catalog import Catalog, CatalogError, ValidationFailed, validate_request
from server.offices import AuthDevice
from sync.protocol import ProtocolError, Reason, RequestItem, canonical_json, parse_utc_iso

TEHRAN = ZoneInfo("Asia/Tehran")

R_NOT_OBJECT = Reason("قلم ارسالی یک شیء JSON نیست.", "The item is not a JSON object.")
R_HASH = Reason(
    "اثر انگشت محتوا با محتوای درخواست نمی‌خواند؛ درخواست در راه تغییر کرده است.",
    "The content hash does not match the content; the request changed on the way.",
)
R_NOT_JSON = Reason("محتوای درخواست قابل خواندن نیست.", "The request content is not valid JSON.")
R_OFFICE = Reason(
    "این درخواست برای دفتر دیگری است؛ این رایانه فقط برای دفتر خودش می‌فرستد.",
    "This request belongs to another office; this PC sends only for its own office.",
)
R_UNKNOWN_VERSION = Reason(
    "این نسخهٔ فهرست خدمات در سرور نیست.",
    "This service catalogue version is not known to the server.",
)
R_FEES = Reason(
    "مبالغ درخواست با تعرفهٔ فهرست خدمات نمی‌خواند.",
    "The fees do not match the service catalogue's tariff.",
)


@dataclass
class PreparedItem:
    """One pushed item after the checks that need no database."""

    id: str | None  # as sent, if it was a string (echoed in the answer)
    item: RequestItem | None = None
    content_hash: str = ""
    payload: str = ""  # canonical JSON of the item without its hash, as stored
    reasons: dict[str, Reason] | None = None  # rejected whatever the database says
    form_reasons: dict[str, Reason] | None = None  # rejected unless a duplicate


def _office_today(created_at: str) -> dt.date:
    return parse_utc_iso(created_at).astimezone(TEHRAN).date()


def _form_reasons(item: RequestItem, catalog: Catalog | None) -> dict[str, Reason] | None:
    if catalog is None:
        return {"catalog_version": R_UNKNOWN_VERSION}
    try:
        service = catalog.service(item.service_code)
    except CatalogError as exc:
        return {"service_code": Reason(exc.message.fa, exc.message.en)}
    try:
        form = validate_request(
            service,
            item.applicant,  # type: ignore[arg-type]  # None means "not answered" there too
            item.answers,  # type: ignore[arg-type]
            item.documents,
            today=_office_today(item.created_at),
        )
    except ValidationFailed as exc:
        return {path: Reason(msg.fa, msg.en) for path, msg in exc.errors.items()}
    if dict(item.fees) != form.fees.to_dict():
        return {"fees": R_FEES}
    return None


def prepare(raw: Any, device: AuthDevice, catalogs: Mapping[int, Catalog]) -> PreparedItem:
    """Everything about one item that needs no database (CPU only)."""
    if not isinstance(raw, Mapping):
        return PreparedItem(id=None, reasons={"item": R_NOT_OBJECT})
    raw_id = raw.get("id")
    prepared = PreparedItem(id=raw_id if isinstance(raw_id, str) else None)
    try:
        item = RequestItem.from_json(raw)
    except ProtocolError as exc:
        prepared.reasons = {exc.field: exc.reason}
        return prepared
    try:
        body = canonical_json({k: v for k, v in raw.items() if k != "content_hash"})
    except ValueError:  # NaN or infinity somewhere in an unchecked key
        prepared.reasons = {"item": R_NOT_JSON}
        return prepared
    prepared.item = item
    prepared.content_hash = hashlib.sha256(body).hexdigest()
    prepared.payload = body.decode("utf-8")
    if prepared.content_hash != item.content_hash:
        prepared.reasons = {"content_hash": R_HASH}
    elif item.office_code != device.office_code:
        prepared.reasons = {"office_code": R_OFFICE}
    else:
        prepared.form_reasons = _form_reasons(item, catalogs.get(item.catalog_version))
    return prepared


def catalog_versions_named(raw_items: Sequence[Any]) -> set[int]:
    versions = set()
    for raw in raw_items:
        if isinstance(raw, Mapping):
            version = raw.get("catalog_version")
            if isinstance(version, int) and not isinstance(version, bool) and version > 0:
                versions.add(version)
    return versions
