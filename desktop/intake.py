"""Intake: saving a citizen's request, correcting one, offering a returning citizen's details.

A save is one SQLite transaction that bumps the device's sequence, writes the
request, its first state, its outbox entry and the audit event. When
``save`` returns, the request is on disk (WAL, ``synchronous=FULL``): the
clerk may tell the citizen it is saved.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import audit
from desktop.audit import Action
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkInfo
from desktop.clock import TEHRAN, Clock, utc_now
from desktop.db.engine import Store
from desktop.db.models import AuditEvent, OutboxEntry, Request, RequestStateChange
from desktop.db.raw import RawInsert, driver_connection
from desktop.errors import NotFoundError
from desktop.scans.attach import DocumentScan, keep_files, pages_by_document, record_parts
from desktop.scans.store import ScanStore
from desktop.states import State
from desktop.wire import item_from_columns
from rules.catalog import Catalog, Fees, ValidatedForm, ValidationFailed, validate_request
from rules.errors import UserFacingError
from rules.messages import Message
from rules.normalize import normalize_identifier
from sync.protocol import ScanRef


@dataclass(frozen=True)
class RequestDraft:
    """What the clerk filled in (raw text as typed; normalised on validation)."""

    service_code: str
    applicant: Mapping[str, str]
    answers: Mapping[str, str]
    documents: Iterable[str] = ()
    card_ref: str = ""
    scans: Sequence[DocumentScan] = ()  # shrunk scans (desktop/scans), saved with the request


@dataclass(frozen=True)
class SavedRequest:
    id: str
    local_id: int
    seq: int
    reference: str
    service_code: str
    created_at: dt.datetime
    fees: Fees
    supersedes: str | None = None
    collected: int = 0  # money collected for another body (a bill), paid with the fees


@dataclass(frozen=True)
class ApplicantHint:
    """What a returning citizen told us last time, to offer on the form."""

    first_name: str
    last_name: str
    mobile: str
    address: str


@dataclass
class Intake:
    store: Store
    catalogs: CatalogStore
    clock: Clock = utc_now
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    scan_store: ScanStore | None = None  # None: the scan folder beside the database

    @property
    def scans(self) -> ScanStore:
        return self.scan_store or ScanStore.beside(self.store.path, self.store.data_key)

    def validate(
        self, draft: RequestDraft, catalog: Catalog | None = None
    ) -> tuple[ValidatedForm, str]:
        """Check a draft exactly as a save would; returns the form and the card reference."""
        catalog = catalog or self.catalogs.current()
        errors: dict[str, Message] = {}
        form: ValidatedForm | None = None
        try:
            service = catalog.service(draft.service_code)
        except Exception as exc:
            raise ValidationFailed(
                {
                    "service": Message(
                        fa="این خدمت در فهرست خدمات نیست.",
                        en="This service is not in the catalogue.",
                    )
                }
            ) from exc
        try:
            today = self.clock().astimezone(TEHRAN).date()
            form = validate_request(
                service,
                dict(draft.applicant),
                dict(draft.answers),
                draft.documents,
                today=today,
                scanned=pages_by_document(draft.scans),
            )
        except ValidationFailed as exc:
            errors.update(exc.errors)
        card_ref = normalize_identifier(draft.card_ref or "")
        if card_ref and (not card_ref.isdigit() or not 6 <= len(card_ref) <= 20):
            errors["card_ref"] = Message(
                fa="شمارهٔ پیگیری کارتخوان باید ۶ تا ۲۰ رقم باشد.",
                en="The card terminal reference is 6 to 20 digits.",
            )
        if errors:
            raise ValidationFailed(errors)
        assert form is not None
        return form, card_ref

    def save(self, clerk: ClerkInfo, draft: RequestDraft) -> SavedRequest:
        return self._save(clerk, draft, supersedes=None)

    def correct(self, clerk: ClerkInfo, original_id: str, draft: RequestDraft) -> SavedRequest:
        """A correction is a new request that supersedes the original (which stays as it was)."""
        return self._save(clerk, draft, supersedes=original_id)

    def _save(self, clerk: ClerkInfo, draft: RequestDraft, supersedes: str | None) -> SavedRequest:
        # Checked against the newest catalogue read so far, outside the write lock; the
        # transaction then reads the store's newest version and checks again if a new
        # one arrived meanwhile: the version checked is the version recorded.
        catalog = self.catalogs.newest_known() or self.catalogs.current()
        form, card_ref = self.validate(draft, catalog)
        request_id = self.new_id()
        # Scan files are durable before the transaction that names them (desktop/scans/attach).
        kept_scans = keep_files(self.scans, draft.scans) if draft.scans else []
        with self.store.write() as s:
            if supersedes is not None:
                _check_supersedable(s, supersedes)
            conn = driver_connection(s)
            # First statement of the transaction: takes the write lock (BEGIN
            # IMMEDIATE) and bumps the counter; a rollback gives the number back,
            # so the per-device sequence has no gaps.
            row = conn.execute(
                "UPDATE devices SET next_seq = next_seq + 1 "
                "RETURNING id, office_code, counter_no, next_seq - 1"
            ).fetchone()
            if row is None:
                raise UserFacingError(
                    Message(
                        fa="این رایانه هنوز راه‌اندازی نشده است.",
                        en="This PC has not been set up yet.",
                    )
                )
            device_id, office_code, counter_no, seq = row
            newest = conn.execute("SELECT max(version) FROM catalog_versions").fetchone()[0]
            if newest != catalog.version:
                catalog = self.catalogs.get(newest) if newest is not None else catalog
                form, card_ref = self.validate(draft, catalog)
            service = catalog.service(draft.service_code)
            now = self.clock()
            reference = f"{office_code}-{counter_no}-{seq:06d}"
            # The row's values, straight into the INSERT below (no ORM object on this path).
            columns: dict[str, object] = {
                "id": request_id,
                "device_id": device_id,
                "seq": seq,
                "reference": reference,
                "office_code": office_code,
                "service_code": service.code,
                "service_title_fa": service.title.fa,
                "service_title_en": service.title.en,
                "catalog_version": catalog.version,
                **form_columns(form, card_ref),
                "clerk_id": clerk.id,
                "clerk_username": clerk.username,
                "created_at": now,
                "supersedes_id": supersedes,
                "content_hash": "",
                "state": State.QUEUED,
                "reason_fa": None,
                "reason_en": None,
                "tracking_code": None,
                "updated_at": now,
            }
            columns["content_hash"] = item_from_columns(
                columns,
                answers=form.answers,
                documents=list(form.documents),
                scans=[ScanRef(p.document, p.sha256, p.size, p.pages) for p in kept_scans],
            ).computed_hash()
            # Plain sqlite3 inside the store's transaction (desktop.db.raw): the save is
            # the clerk's hot path, and SQLAlchemy's execution layer was most of its
            # time beyond the fsync (bench/: intake).
            local_id = _INSERT_REQUEST.run(conn, columns)
            _INSERT_STATE.run(
                conn,
                {
                    "request_id": request_id,
                    "state": State.QUEUED,
                    "reason_fa": None,
                    "reason_en": None,
                    "source": "counter",
                    "clerk_id": clerk.id,
                    "at": now,
                },
            )
            _INSERT_OUTBOX.run(
                conn,
                {
                    "request_id": request_id,
                    "seq": seq,
                    "attempts": 0,
                    "enqueued_at": now,
                    "last_attempt_at": None,
                    "done_at": None,
                    "last_error": None,
                },
            )
            _INSERT_AUDIT.run(
                conn,
                audit.row(
                    Action.REQUEST_CORRECTED if supersedes else Action.REQUEST_SAVED,
                    at=now,
                    clerk_id=clerk.id,
                    request_id=request_id,
                    service=service.code,
                    **({"supersedes": supersedes} if supersedes else {}),
                ),
            )
            if kept_scans:
                record_parts(conn, request_id, kept_scans, now)
            return SavedRequest(
                id=request_id,
                local_id=local_id,
                seq=seq,
                reference=reference,
                service_code=service.code,
                created_at=now,
                fees=form.fees,
                supersedes=supersedes,
                collected=form.payment.collected_total,
            )

    def returning_applicant(self, national_code: str) -> ApplicantHint | None:
        code = normalize_identifier(national_code)
        if len(code) != 10:
            return None
        with self.store.read() as s:
            req = s.scalar(
                select(Request)
                .where(Request.national_code == code)
                .order_by(Request.local_id.desc())
                .limit(1)
            )
            if req is None:
                return None
            return ApplicantHint(req.first_name, req.last_name, req.mobile, req.address)


def form_columns(form: ValidatedForm, card_ref: str) -> dict[str, Any]:
    """The request's columns that come from the validated form (applicant, answers, fees)."""
    return {
        "national_code": form.applicant["national_code"],
        "first_name": form.applicant["first_name"],
        "last_name": form.applicant["last_name"],
        "mobile": form.applicant["mobile"],
        "address": form.applicant.get("address", ""),
        "answers_json": json.dumps(form.answers, ensure_ascii=False, sort_keys=True),
        "documents_json": json.dumps(list(form.documents), ensure_ascii=False),
        "government_fee": form.fees.government,
        "office_fee": form.fees.office,
        "vat": form.fees.vat,
        "card_ref": card_ref,
    }


# The save's statements, rendered once (desktop.db.raw).
_INSERT_REQUEST = RawInsert(
    Request.__table__,  # type: ignore[arg-type]
    omit=("local_id",),
    returning="local_id",
)
_INSERT_STATE = RawInsert(RequestStateChange.__table__, omit=("id",))  # type: ignore[arg-type]
_INSERT_OUTBOX = RawInsert(OutboxEntry.__table__)  # type: ignore[arg-type]
_INSERT_AUDIT = RawInsert(AuditEvent.__table__, omit=("id",))  # type: ignore[arg-type]


def _check_supersedable(s: Session, original_id: str) -> None:
    original = s.scalar(select(Request).where(Request.id == original_id))
    if original is None:
        raise NotFoundError(
            Message(fa="درخواست اصلی پیدا نشد.", en="The original request was not found.")
        )
    newer = s.scalar(select(Request.reference).where(Request.supersedes_id == original_id))
    if newer is not None:
        raise UserFacingError(
            Message(
                fa=f"این درخواست قبلاً با {newer} اصلاح شده است؛ آخرین نسخه را اصلاح کنید.",
                en=f"This request was already corrected by {newer}; correct the latest one.",
            )
        )
