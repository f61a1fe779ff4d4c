"""The counter's scans as the uploader sees them: which blobs wait, their bytes, marking sent.

Implements `sync.uploads.PendingBlobs` over the `scan_parts` table and the `ScanStore`. A
blob shared by several parts (the same page in two requests) is sent once and marks every
part naming it. The scans of a request the server set aside ("needs attention": refused or
in conflict) wait with it: not uploaded and not counted as waiting, kept on disk under the
same encryption, until the server's acceptance moves the request on (desktop/states.py);
a blob also named by a part of a request not set aside goes as usual. `document_lane`
assembles the sync round's documents share (the uploader over this outbox, yielding
whenever a text request is queued).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import text

from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.scans.attach import SENT, WAITING
from desktop.scans.store import ScanStore
from desktop.states import State
from sync.uploads import DocumentLane, PendingBlob, TokenSource, Uploader


@dataclass
class ScanOutbox:
    store: Store
    scans: ScanStore
    clock: Clock = utc_now

    def waiting(self, limit: int) -> Sequence[PendingBlob]:
        with self.store.read() as s:
            rows = s.execute(
                text(
                    "SELECT p.sha256, max(p.size) FROM scan_parts p "
                    "JOIN requests r ON r.id = p.request_id "
                    "WHERE p.upload_state = :w AND r.state != :aside "
                    "GROUP BY p.sha256 ORDER BY min(p.id) LIMIT :n"
                ),
                {"w": WAITING, "aside": State.NEEDS_ATTENTION.value, "n": limit},
            ).all()
        return [PendingBlob(sha, int(size)) for sha, size in rows]

    def read(self, sha256: str) -> bytes:
        return self.scans.read(sha256)

    def mark_sent(self, sha256: str) -> None:
        with self.store.write() as s:
            s.execute(
                text(
                    "UPDATE scan_parts SET upload_state = :sent, uploaded_at = :now "
                    "WHERE sha256 = :sha AND upload_state = :w"
                ),
                {"sent": SENT, "now": _stored_time(self.clock()), "sha": sha256, "w": WAITING},
            )

    def progress(self, request_id: str) -> tuple[int, int]:
        """(parts sent, parts) of one request: "documents 2 of 5 sent"."""
        with self.store.read() as s:
            row = s.execute(
                text(
                    "SELECT sum(upload_state = :sent), count(*) FROM scan_parts "
                    "WHERE request_id = :id"
                ),
                {"sent": SENT, "id": request_id},
            ).one()
        return int(row[0] or 0), int(row[1])


def text_waiting(store: Store) -> bool:
    """A request is queued or in a push: the line is the text's (one indexed probe)."""
    with store.read() as s:
        row = s.execute(
            text("SELECT 1 FROM requests WHERE state IN (:q, :s) LIMIT 1"),
            {"q": State.QUEUED.value, "s": State.SENDING.value},
        ).first()
    return row is not None


def document_lane(
    store: Store,
    server_url: str,
    token: TokenSource,
    *,
    ca_bundle: str | None = None,
    clock: Clock = utc_now,
) -> DocumentLane:
    """The documents' share of this PC's sync rounds (``SyncEngine(documents=...)``)."""
    uploader = Uploader(
        server_url.rstrip("/"),
        token,
        ScanOutbox(store, ScanStore.beside(store.path, store.data_key), clock),
    )
    for session in (uploader.session, uploader.ahead_session):
        session.verify = ca_bundle or True  # verification is never switched off
    return DocumentLane(uploader, lambda: text_waiting(store))


def _stored_time(at: dt.datetime) -> str:
    # The form desktop.db.types.UTCDateTime writes (this statement bypasses the ORM).
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
