"""The central server's tables (SQLAlchemy 2 models); the migrations in server/migrations
create exactly these. Queries elsewhere use the tables through Core for bulk speed.

Times are stored as UTC. SQLite hands them back naive; ``as_utc`` puts the zone back.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only makes a rowid alias (an auto-incrementing key) of "INTEGER PRIMARY KEY";
# PostgreSQL gets a BIGSERIAL, whose sequence the push allocates tracking numbers from.
BigKey = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def as_utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class ServerMeta(Base):
    """Small server-wide values, such as the key that signs change-feed cursors."""

    __tablename__ = "server_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The office's last tracking number handed out (tracking codes are numbered per office).
    last_tracking: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class EnrolmentCode(Base):
    """A one-time code for one office; only its sha256 is kept."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_device_id: Mapped[str | None] = mapped_column(String(36))


class Device(Base):
    """An enrolled PC. The token is 32 random bytes, so a fast sha256 of it is enough."""

    __tablename__ = "devices"
    __table_args__ = (
        # One active device per counter of an office; a revoked one frees its counter.
        Index(
            "uq_devices_active_counter",
            "office_id",
            "counter_no",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    counter_no: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    enrolled_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    app_version: Mapped[str] = mapped_column(String(40), default="")
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # What the last heartbeat said.
    last_heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    queue_depth: Mapped[int] = mapped_column(Integer, default=0)
    oldest_waiting_seconds: Mapped[int | None] = mapped_column(Integer)
    attention: Mapped[int] = mapped_column(Integer, default=0)
    reported_last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Issue 16. A server default only: code that enrols a PC need not know the column.
    update_state: Mapped[str] = mapped_column(String(20), server_default="")
    # Sequence bookkeeping: seq_seen == seq_max means no gaps (the common, cheap case).
    seq_max: Mapped[int] = mapped_column(BigInteger, default=0)
    seq_seen: Mapped[int] = mapped_column(BigInteger, default=0)


class DeviceSeq(Base):
    """Every sequence number a device has pushed (whatever the answer): the basis of gaps."""

    __tablename__ = "device_seqs"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)


class Request(Base):
    """A citizen's request as received; ``id`` (the client's UUID) is unique forever."""

    __tablename__ = "requests"
    __table_args__ = (UniqueConstraint("device_id", "seq", name="uq_requests_device_seq"),)

    pk: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    # Indexed by (office_id, pk): server/console/models.py (migration 0010).
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(64))
    clerk: Mapped[str] = mapped_column(String(64))
    service_code: Mapped[str] = mapped_column(String(64))
    catalog_version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # the item as received, canonical JSON
    tracking_code: Mapped[str] = mapped_column(String(40), unique=True)
    state: Mapped[str] = mapped_column(String(20))
    supersedes: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    state_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Change(Base):
    """The change feed. ``id`` increases in commit order and is the cursor's basis.

    A status row belongs to one office; a catalogue row (office_id NULL) goes to everyone.
    """

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_office_id_id", "office_id", "id"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    request_id: Mapped[str | None] = mapped_column(String(36))
    state: Mapped[str | None] = mapped_column(String(20))
    reason_fa: Mapped[str | None] = mapped_column(Text)
    reason_en: Mapped[str | None] = mapped_column(Text)
    tracking_code: Mapped[str | None] = mapped_column(String(40))
    catalog_version: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # The device whose push made this row (its "accepted"); NULL for everything else. The
    # feed skips such rows for that device when it asks (revision 2): its push answer said it.
    device_id: Mapped[str | None] = mapped_column(String(36))


class PushReceipt(Base):
    """What the server answered a push that named a batch key (issue 11): the compact
    answer as sent, stored in the push's own transaction, so a PC whose answer was lost or
    cut asks for it (``GET /v1/push/receipts/{key}``) instead of sending the batch again.
    Keyed by device: a receipt is only ever served to the device that pushed it. Old ones
    are pruned (``server.receipts``): the PC asks within seconds of the break."""

    __tablename__ = "push_receipts"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(36), primary_key=True)
    answer: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class CatalogVersion(Base):
    __tablename__ = "catalog_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# The tables, typed as such (``__table__`` is declared as a bare FromClause).
offices = cast(Table, Office.__table__)
enrolment_codes = cast(Table, EnrolmentCode.__table__)
devices = cast(Table, Device.__table__)
device_seqs = cast(Table, DeviceSeq.__table__)
requests = cast(Table, Request.__table__)
changes = cast(Table, Change.__table__)
catalog_versions = cast(Table, CatalogVersion.__table__)
server_meta = cast(Table, ServerMeta.__table__)
push_receipts = cast(Table, PushReceipt.__table__)
