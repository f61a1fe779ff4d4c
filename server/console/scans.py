"""A request's scanned documents on its console page: what the counter attached (the
links of migration 0008, ``server.blobs_links``) with which of them have arrived, and the
bytes of one, for a reviewer who may see the request.

The scope is the request's: a scan is found through ``inbox.visible_request`` (404
outside the reviewer's scope, as the page itself), then by its position among the
request's parts, and read as its office's blob (``server.blobs.read``), never by a hash
the browser names. What the bytes are is told by their first bytes (the counter sends
JPEG pages or a PDF, docs/SCANS.md); anything else is offered as a download only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, select

from server.blobs import BLOBS
from server.blobs_links import REQUEST_BLOBS
from server.console.accounts import Staff
from server.console.inbox import visible_request
from server.db import read_now

MEDIA = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
DOWNLOAD = "application/octet-stream"


@dataclass(frozen=True)
class ScanPart:
    """One attached part of a request: a document's page(s), in the counter's order."""

    position: int
    document: str
    pages: int
    size: int
    received: bool


def request_scans(engine: Engine, staff: Staff, request_id: str) -> list[ScanPart] | None:
    """The request's parts in order (empty: it carries none); None outside the scope."""
    with read_now(engine) as conn:
        if visible_request(conn, staff, request_id) is None:
            return None
        rb = REQUEST_BLOBS.c
        rows = conn.execute(
            select(rb.position, rb.document, rb.pages, rb.size, BLOBS.c.sha256.is_not(None))
            .select_from(
                REQUEST_BLOBS.outerjoin(
                    BLOBS, and_(BLOBS.c.office_id == rb.office_id, BLOBS.c.sha256 == rb.sha256)
                )
            )
            .where(rb.request_id == request_id)
            .order_by(rb.position)
        ).all()
    return [
        ScanPart(int(position), document, int(pages), int(size), bool(received))
        for position, document, pages, size, received in rows
    ]


@dataclass(frozen=True)
class ScanBlob:
    """Where one received part's bytes are: its office's blob."""

    office_id: int
    sha256: str
    document: str


def scan_blob(engine: Engine, staff: Staff, request_id: str, position: int) -> ScanBlob | None:
    """Part ``position`` of a request ``staff`` may see, if it has arrived; else None."""
    with read_now(engine) as conn:
        if visible_request(conn, staff, request_id) is None:
            return None
        rb = REQUEST_BLOBS.c
        row = conn.execute(
            select(rb.office_id, rb.sha256, rb.document)
            .select_from(
                REQUEST_BLOBS.join(
                    BLOBS, and_(BLOBS.c.office_id == rb.office_id, BLOBS.c.sha256 == rb.sha256)
                )
            )
            .where(rb.request_id == request_id, rb.position == position)
        ).first()
    return ScanBlob(int(row.office_id), row.sha256, row.document) if row is not None else None


def media_type(data: bytes) -> str:
    """The scan's type by its first bytes (a browser is never left to guess)."""
    for magic, kind in MEDIA:
        if data.startswith(magic):
            return kind
    return DOWNLOAD
