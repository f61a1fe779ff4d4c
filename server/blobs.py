"""Scanned documents on the server: resumable, content-addressed uploads per office.

An office's blob is named by its sha256; a device creates an upload with the blob's length
and hash, appends chunks at the offset the server reports, and the last chunk turns it into
the blob once the whole content matches the hash. The upload is keyed by (office, sha256),
so sending the same document twice, after a crash or from a retry, meets the same upload
or the finished blob: no duplicate, nothing lost. A chunk's bytes are on disk (fsynced)
before the offset they reach is committed, under the upload row's lock, so the database
never claims bytes the disk lost and two retries of one chunk cannot interleave. Bytes go
through `BlobStorage` (server/blobs_storage.py). Sizes and per-office quotas are checked at
creation; a blob is readable only by its office's devices and by the back office.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import cast

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Table, func, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from server.blobs_storage import BlobStorage
from server.db import is_sqlite, read_now, write_tx
from server.errors import ApiError, invalid
from server.models import Base
from sync.protocol import ErrorCode, Message

QUOTA_EXCEEDED = "quota_exceeded"
OFFSET_MISMATCH = "offset_mismatch"
R_CHECKSUM = Message("با بدنهٔ این تکه نمی‌خواند.", "does not match this chunk's body.")
R_CHECKSUM_FORM = Message(
    "باید «sha256 <base64>» باشد.", "must be 'sha256 <base64 of the chunk's sha256>'."
)
R_PAST_END = Message("از طول اعلام‌شده بیشتر است.", "goes past the upload's declared length.")
R_CONTENT = Message(
    "کل محتوا با sha256 اعلام‌شده نمی‌خواند؛ بارگذاری از نو آغاز شد.",
    "the whole content does not match the declared sha256; the upload starts over.",
)


class Blob(Base):
    """A whole blob an office holds (the bytes may be shared on disk with other offices)."""

    __tablename__ = "blobs"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    device_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class BlobUpload(Base):
    """An upload in progress; gone once it became a `Blob`."""

    __tablename__ = "blob_uploads"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    length: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger)
    device_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    chunks: Mapped[int] = mapped_column(Integer)  # how many chunks were taken (measuring)


BLOBS = cast(Table, Blob.__table__)
UPLOADS = cast(Table, BlobUpload.__table__)


@dataclass(frozen=True)
class BlobPolicy:
    max_blob_bytes: int = 16 * 1024 * 1024
    office_quota_bytes: int = 4 * 1024 * 1024 * 1024
    max_chunk_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class UploadState:
    sha256: str
    length: int
    offset: int

    @property
    def complete(self) -> bool:
        return self.offset >= self.length


def _key(office_id: int, sha256: str) -> str:
    return f"{office_id}-{sha256}"


def _not_found() -> ApiError:
    return ApiError(
        404,
        ErrorCode.NOT_FOUND,
        "این سند برای این دفتر نیست.",
        "No such upload or document for this office.",
    )


def _lock_upload(conn: Connection, office_id: int, sha256: str) -> BlobUpload | None:
    query = select(UPLOADS).where(UPLOADS.c.office_id == office_id, UPLOADS.c.sha256 == sha256)
    if not is_sqlite(conn):
        query = query.with_for_update()  # SQLite: BEGIN IMMEDIATE already serialises writers
    row = conn.execute(query).first()
    return row  # type: ignore[return-value]


def _blob_size(conn: Connection, office_id: int, sha256: str) -> int | None:
    return conn.execute(
        select(BLOBS.c.size).where(BLOBS.c.office_id == office_id, BLOBS.c.sha256 == sha256)
    ).scalar()


def create(
    engine: Engine,
    policy: BlobPolicy,
    *,
    office_id: int,
    device_id: str,
    sha256: str,
    length: int,
    now: dt.datetime,
) -> UploadState:
    """Start (or find again) the upload of a blob; its offset. Quotas are checked here."""
    if length > policy.max_blob_bytes:
        raise ApiError(
            413,
            ErrorCode.TOO_LARGE,
            f"سند بیش از {policy.max_blob_bytes} بایت است.",
            f"A document is at most {policy.max_blob_bytes} bytes.",
        )
    with write_tx(engine) as conn:
        size = _blob_size(conn, office_id, sha256)
        if size is not None:
            return UploadState(sha256, size, size)
        row = _lock_upload(conn, office_id, sha256)
        if row is not None:
            if row.length != length:
                raise invalid(
                    {
                        "length": Message(
                            "با بارگذاری پیشین نمی‌خواند.", "differs from the upload begun before."
                        )
                    }
                )
            return UploadState(sha256, row.length, row.received)
        used = (
            conn.execute(
                select(func.coalesce(func.sum(BLOBS.c.size), 0)).where(
                    BLOBS.c.office_id == office_id
                )
            ).scalar_one()
            + conn.execute(
                select(func.coalesce(func.sum(UPLOADS.c.length), 0)).where(
                    UPLOADS.c.office_id == office_id
                )
            ).scalar_one()
        )
        if used + length > policy.office_quota_bytes:
            raise ApiError(
                413,
                QUOTA_EXCEEDED,
                "سهمیهٔ فضای اسناد این دفتر پر شده است.",
                f"This office's document quota ({policy.office_quota_bytes} bytes) is full.",
            )
        conn.execute(
            UPLOADS.insert().values(
                office_id=office_id,
                sha256=sha256,
                length=length,
                received=0,
                device_id=device_id,
                created_at=now,
                chunks=0,
            )
        )
    return UploadState(sha256, length, 0)


def state(engine: Engine, *, office_id: int, sha256: str) -> UploadState:
    with read_now(engine) as conn:
        size = _blob_size(conn, office_id, sha256)
        if size is not None:
            return UploadState(sha256, size, size)
        row = conn.execute(
            select(UPLOADS.c.length, UPLOADS.c.received).where(
                UPLOADS.c.office_id == office_id, UPLOADS.c.sha256 == sha256
            )
        ).first()
    if row is None:
        raise _not_found()
    return UploadState(sha256, row.length, row.received)


def parse_checksum(header: str | None) -> bytes:
    """The digest in ``Upload-Checksum: sha256 <base64>`` (tus's checksum extension)."""
    algorithm, _, value = (header or "").partition(" ")
    try:
        digest = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if algorithm != "sha256" or len(digest) != 32:
        raise invalid({"Upload-Checksum": R_CHECKSUM_FORM})
    return digest


def offset_mismatch(current: UploadState) -> ApiError:
    return ApiError(
        409,
        OFFSET_MISMATCH,
        f"سرور تا بایت {current.offset} را دارد؛ از همان‌جا بفرستید.",
        f"The server holds {current.offset} bytes; send from there.",
        headers={"Upload-Offset": str(current.offset), "Upload-Length": str(current.length)},
    )


def append(
    engine: Engine,
    storage: BlobStorage,
    *,
    office_id: int,
    sha256: str,
    offset: int,
    data: bytes,
    checksum: bytes,
    now: dt.datetime,
) -> UploadState:
    """Take one chunk at `offset`; the new state (complete when the blob is whole)."""
    if hashlib.sha256(data).digest() != checksum:
        raise invalid({"Upload-Checksum": R_CHECKSUM})
    key = _key(office_id, sha256)
    with write_tx(engine) as conn:
        size = _blob_size(conn, office_id, sha256)
        if size is not None:  # a retry of the last chunk whose answer was lost
            current = UploadState(sha256, size, size)
            if offset == size and not data:
                return current
            raise offset_mismatch(current)
        row = _lock_upload(conn, office_id, sha256)
        if row is None:
            raise _not_found()
        current = UploadState(sha256, row.length, row.received)
        if offset != row.received:
            raise offset_mismatch(current)
        end = offset + len(data)
        if end > row.length:
            raise invalid({"body": R_PAST_END})
        storage.write_at(key, offset, data)
        where = (UPLOADS.c.office_id == office_id) & (UPLOADS.c.sha256 == sha256)
        if end < row.length:
            conn.execute(UPLOADS.update().where(where).values(received=end, chunks=row.chunks + 1))
            return UploadState(sha256, row.length, end)
        if storage.partial_sha256(key, row.length) != sha256:
            storage.discard(key)
            conn.execute(UPLOADS.update().where(where).values(received=0, chunks=row.chunks + 1))
            restart_error = invalid({"sha256": R_CONTENT})
            restart = True
        else:
            storage.finish(key, sha256)
            conn.execute(UPLOADS.delete().where(where))
            conn.execute(
                BLOBS.insert().values(
                    office_id=office_id,
                    sha256=sha256,
                    size=row.length,
                    device_id=row.device_id,
                    created_at=now,
                )
            )
            restart = False
    if restart:
        raise restart_error  # after the commit: the reset offset must stick
    return UploadState(sha256, row.length, row.length)


def read(engine: Engine, storage: BlobStorage, *, office_id: int, sha256: str) -> bytes:
    """A whole blob of this office (404 for any other office's, as for one that is not)."""
    with read_now(engine) as conn:
        size = _blob_size(conn, office_id, sha256)
    if size is None:
        raise _not_found()
    return storage.read(sha256)


def office_usage(engine: Engine, office_id: int) -> int:
    with read_now(engine) as conn:
        return int(
            conn.execute(
                select(func.coalesce(func.sum(BLOBS.c.size), 0)).where(
                    BLOBS.c.office_id == office_id
                )
            ).scalar_one()
        )
