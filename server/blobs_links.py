"""Which blobs each request carries, and whether its documents have all arrived.

A pushed item names its scans (``RequestItem.scans``: document, sha256, size, pages); the
push that stores a new request stores these links in the same transaction
(`link_scans`). The bytes arrive on their own by /v1/blobs, before or after the text, in
any order; a request is "awaiting documents" until every blob it names is whole for its
office (`documents_of`), with no second write to keep in step: the state is the join.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Table, and_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from server.blobs import BLOBS
from server.db import bulk_insert
from server.models import Base
from sync.protocol import RequestItem


class RequestBlob(Base):
    """One scanned part of a request (position in the order the counter attached them)."""

    __tablename__ = "request_blobs"
    __table_args__ = (Index("ix_request_blobs_blob", "office_id", "sha256"),)

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    document: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[int] = mapped_column(Integer)


REQUEST_BLOBS = cast(Table, RequestBlob.__table__)


class DocumentsState(enum.StrEnum):
    NONE = "none"  # the request carries no scans
    AWAITING = "awaiting_documents"
    COMPLETE = "complete"


@dataclass(frozen=True)
class DocumentPart:
    document: str
    sha256: str
    size: int
    pages: int
    received: bool


@dataclass(frozen=True)
class RequestDocuments:
    parts: tuple[DocumentPart, ...]

    @property
    def received(self) -> int:
        return sum(p.received for p in self.parts)

    @property
    def state(self) -> DocumentsState:
        if not self.parts:
            return DocumentsState.NONE
        if self.received < len(self.parts):
            return DocumentsState.AWAITING
        return DocumentsState.COMPLETE

    def to_json(self) -> dict[str, object]:
        return {
            "state": str(self.state),
            "received": self.received,
            "total": len(self.parts),
            "documents": [
                {
                    "document": p.document,
                    "sha256": p.sha256,
                    "size": p.size,
                    "pages": p.pages,
                    "received": p.received,
                }
                for p in self.parts
            ],
        }


def link_scans(conn: Connection, office_id: int, items: Iterable[RequestItem]) -> int:
    """Record the scans of newly stored requests (in the push's transaction); how many."""
    rows = [
        {
            "request_id": item.id,
            "position": position,
            "office_id": office_id,
            "document": scan.document,
            "sha256": scan.sha256,
            "size": scan.size,
            "pages": scan.pages,
        }
        for item in items
        for position, scan in enumerate(item.scans or (), start=1)
    ]
    bulk_insert(conn, REQUEST_BLOBS, rows)
    return len(rows)


def documents_of(conn: Connection, request_ids: Sequence[str]) -> dict[str, RequestDocuments]:
    """Each request's parts and which of them its office holds whole (absent: no scans)."""
    found: dict[str, list[DocumentPart]] = {}
    for start in range(0, len(request_ids), 500):
        chunk = list(request_ids[start : start + 500])
        rb = REQUEST_BLOBS.c
        rows = conn.execute(
            select(
                rb.request_id,
                rb.document,
                rb.sha256,
                rb.size,
                rb.pages,
                BLOBS.c.sha256.is_not(None),
            )
            .select_from(
                REQUEST_BLOBS.outerjoin(
                    BLOBS,
                    and_(BLOBS.c.office_id == rb.office_id, BLOBS.c.sha256 == rb.sha256),
                )
            )
            .where(rb.request_id.in_(chunk))
            .order_by(rb.request_id, rb.position)
        )
        for request_id, document, sha256, size, pages, received in rows:
            found.setdefault(request_id, []).append(
                DocumentPart(document, sha256, int(size), int(pages), bool(received))
            )
    return {rid: RequestDocuments(tuple(parts)) for rid, parts in found.items()}
