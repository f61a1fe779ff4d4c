"""The local store's tables (SQLAlchemy 2 declarative models).

Content columns of a request are immutable once written: a trigger in the
migration refuses any UPDATE of them and any DELETE of a request. Only the
lifecycle columns (state, reason, tracking code, updated_at) change.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from desktop.db.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Office(Base):
    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class Device(Base):
    """This PC. One row; its sequence counter makes gap-free per-device numbers."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"))
    counter_no: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100), default="")
    next_seq: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    server_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Clerk(Base):
    __tablename__ = "clerks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # "manager" | "clerk"
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CatalogVersion(Base):
    """A whole catalogue document per version; the highest version is current."""

    __tablename__ = "catalog_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16))  # "demo" | "file" | "server"


class Request(Base):
    """A citizen's request as the clerk saved it.

    ``local_id`` is SQLite's rowid: the queue view holds a million of these as
    plain integers. ``id`` is the permanent client-made UUID the server keys on.
    """

    __tablename__ = "requests"

    local_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    seq: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    office_code: Mapped[str] = mapped_column(String(16))
    service_code: Mapped[str] = mapped_column(String(64))
    service_title_fa: Mapped[str] = mapped_column(String(200))
    service_title_en: Mapped[str] = mapped_column(String(200))
    catalog_version: Mapped[int] = mapped_column(Integer)
    national_code: Mapped[str] = mapped_column(String(10))
    first_name: Mapped[str] = mapped_column(String(50))
    last_name: Mapped[str] = mapped_column(String(80))
    mobile: Mapped[str] = mapped_column(String(11))
    address: Mapped[str] = mapped_column(String(250), default="")
    answers_json: Mapped[str] = mapped_column(Text)
    documents_json: Mapped[str] = mapped_column(Text)
    government_fee: Mapped[int] = mapped_column(Integer)
    office_fee: Mapped[int] = mapped_column(Integer)
    vat: Mapped[int] = mapped_column(Integer)
    card_ref: Mapped[str] = mapped_column(String(32), default="")
    clerk_id: Mapped[int] = mapped_column(ForeignKey("clerks.id"))
    clerk_username: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    supersedes_id: Mapped[str | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    # Lifecycle (mutable): a desktop.states.State, its moves checked there
    state: Mapped[str] = mapped_column(String(20))
    reason_fa: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    tracking_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("device_id", "seq", name="uq_requests_device_seq"),
        Index("ix_requests_national_code", "national_code"),
        Index("ix_requests_mobile", "mobile"),
        Index("ix_requests_last_name", "last_name"),
        Index("ix_requests_first_name", "first_name"),
        Index("ix_requests_state", "state", "local_id"),
        Index("ix_requests_service", "service_code", "local_id"),
        Index("ix_requests_created_at", "created_at"),
        Index("ix_requests_tracking_code", "tracking_code"),
        Index("ix_requests_supersedes", "supersedes_id"),
    )

    @property
    def total_fee(self) -> int:
        return self.government_fee + self.office_fee + self.vat


class RequestStateChange(Base):
    __tablename__ = "request_state_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    reason_fa: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # "counter" | "sync" | "server"
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("clerks.id"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class OutboxEntry(Base):
    """The transport's bookkeeping of one request, written in the request's own transaction.

    Whether it is still to be sent is the request's ``state`` (desktop.states), stored
    there only; this row says how the sending went.
    """

    __tablename__ = "outbox"

    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    enqueued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class AuditEvent(Base):
    """Who did what, when. Never names or national codes in ``detail``."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    clerk_id: Mapped[int | None] = mapped_column(ForeignKey("clerks.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(32), index=True)
    request_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")


class KeyValue(Base):
    """Small durable state: sync cursor, last contact, settings."""

    __tablename__ = "key_values"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ScanPart(Base):
    """One stored part of a scanned document of a request (issue 12; desktop/scans).

    Written in the request's own save transaction; the file lives in the content-addressed
    scan folder under ``sha256``. Content columns are immutable (a trigger, as for
    requests); only the upload columns change.
    """

    __tablename__ = "scan_parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id"))
    document: Mapped[str] = mapped_column(String(64))  # the catalogue's document code
    position: Mapped[int] = mapped_column(Integer)  # order within the request, from 1
    kind: Mapped[str] = mapped_column(String(16))  # "document" | "photo"
    media_type: Mapped[str] = mapped_column(String(32))
    pages: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Upload (mutable): "waiting" until the server holds the whole blob, then "sent"
    upload_state: Mapped[str] = mapped_column(String(16))
    uploaded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        UniqueConstraint("request_id", "position", name="uq_scan_parts_request_position"),
        Index("ix_scan_parts_upload", "upload_state", "id"),
        Index("ix_scan_parts_sha256", "sha256"),
    )
