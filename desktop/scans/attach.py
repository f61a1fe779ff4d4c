"""Attaching shrunk scans to a request as it is saved.

Two steps, in this order, so a power cut at any instant leaves either the whole request
with its scans or nothing the clerk saw saved: (1) `keep_files` writes every part to the
content-addressed `ScanStore` (each durable before the next step); (2) `record_parts`
inserts one `scan_parts` row per part inside the request's own save transaction. A cut
between the two leaves only files no row names (and any temp file is never a name).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from desktop.db.models import ScanPart
from desktop.db.raw import RawInsert
from desktop.scans.budgets import ScanKind
from desktop.scans.shrink import ShrunkPart
from desktop.scans.store import ScanStore

WAITING = "waiting"
SENT = "sent"


@dataclass(frozen=True)
class DocumentScan:
    """One part the clerk attached to one of the service's documents."""

    document: str  # the catalogue's document code
    kind: ScanKind
    part: ShrunkPart


@dataclass(frozen=True)
class KeptPart:
    document: str
    kind: ScanKind
    media_type: str
    pages: int
    size: int
    sha256: str


def pages_by_document(scans: Sequence[DocumentScan]) -> dict[str, int]:
    """Pages attached per catalogue document, as the catalogue's scan rules count them."""
    pages: dict[str, int] = {}
    for scan in scans:
        pages[scan.document] = pages.get(scan.document, 0) + scan.part.pages
    return pages


def keep_files(store: ScanStore, scans: Sequence[DocumentScan]) -> list[KeptPart]:
    """Write every part durably; what the save transaction will record."""
    kept = []
    for scan in scans:
        sha = store.put(scan.part.data)
        kept.append(
            KeptPart(
                document=scan.document,
                kind=scan.kind,
                media_type=scan.part.media_type,
                pages=scan.part.pages,
                size=len(scan.part.data),
                sha256=sha,
            )
        )
    return kept


_INSERT_PART = RawInsert(ScanPart.__table__, omit=("id",))  # type: ignore[arg-type]


def record_parts(
    conn: sqlite3.Connection, request_id: str, parts: Sequence[KeptPart], now: dt.datetime
) -> None:
    """Insert the rows of `parts` in the caller's (the save's) transaction."""
    for position, part in enumerate(parts, start=1):
        _INSERT_PART.run(
            conn,
            {
                "request_id": request_id,
                "document": part.document,
                "position": position,
                "kind": str(part.kind),
                "media_type": part.media_type,
                "pages": part.pages,
                "size": part.size,
                "sha256": part.sha256,
                "created_at": now,
                "upload_state": WAITING,
                "uploaded_at": None,
            },
        )
