"""The console's tables: staff accounts and their scopes, sessions, the audit log, and the
province of each office. Migration 0003 creates exactly these.

They sit on the server's metadata (``server.models.Base``) beside the protocol's tables but
share nothing with device tokens: a staff session is a cookie checked against
``staff_sessions``, a device token a bearer checked against ``devices``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import cast

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, BigKey, requests


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    REVIEWER = "reviewer"
    OPERATOR = "operator"


class ScopeKind(StrEnum):
    SERVICE = "service"
    PROVINCE = "province"
    OFFICE = "office"


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class StaffScope(Base):
    """What a reviewer may see: services, and provinces or offices (none: everything)."""

    __tablename__ = "staff_scopes"

    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)


class StaffSession(Base):
    """A logged-in browser. Only the sha256 of the cookie's value is kept."""

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    address: Mapped[str] = mapped_column(String(64))


class AuditEntry(Base):
    """Who did what, when, from where. Never updated or deleted by the console."""

    __tablename__ = "staff_audit"
    __table_args__ = (Index("ix_staff_audit_account_id_id", "account_id", "id"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64))


class OfficeProvince(Base):
    """The province an office is in (the protocol's offices carry only code and name)."""

    __tablename__ = "office_provinces"
    __table_args__ = (Index("ix_office_provinces_province", "province", "office_id"),)

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    province: Mapped[str] = mapped_column(String(32))


class DeviceHeartbeat(Base):
    """A sample of a PC's heartbeats (one per 15 minutes, 7 days), kept by a trigger on
    ``devices`` (migration 0004_console_heartbeats): the office page's history."""

    __tablename__ = "device_heartbeats"
    __table_args__ = (Index("ix_device_heartbeats_device_id_at", "device_id", "at"),)

    id: Mapped[int] = mapped_column(BigKey, primary_key=True, autoincrement=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    queue_depth: Mapped[int] = mapped_column(Integer)
    oldest_waiting_seconds: Mapped[int | None] = mapped_column(Integer)
    attention: Mapped[int] = mapped_column(Integer)
    app_version: Mapped[str] = mapped_column(String(40))


class RequestSearch(Base):
    """National code → request key, the inbox's search by national code: written by the
    push for every new request (``server.console.search``; a trigger until migration
    0010_console_ingest)."""

    __tablename__ = "request_search"

    national_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    request_pk: Mapped[int] = mapped_column(BigKey, primary_key=True)


staff_accounts = cast(Table, StaffAccount.__table__)
staff_scopes = cast(Table, StaffScope.__table__)
staff_sessions = cast(Table, StaffSession.__table__)
staff_audit = cast(Table, AuditEntry.__table__)
office_provinces = cast(Table, OfficeProvince.__table__)
device_heartbeats = cast(Table, DeviceHeartbeat.__table__)
request_search = cast(Table, RequestSearch.__table__)

# The inbox reads requests newest first (keyset on pk) within an office or a state, and
# finds them by reference (migration 0003_console). The first also serves every look-up by
# office (0010 dropped the single-column index it made redundant). Declared here, on the
# server's own table, so that the schema and the models stay one.
Index("ix_requests_console_office_pk", requests.c.office_id, requests.c.pk)
Index("ix_requests_console_state_pk", requests.c.state, requests.c.pk)
Index("ix_requests_console_reference", requests.c.reference)
