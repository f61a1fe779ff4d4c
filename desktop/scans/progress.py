"""What the counter tells about a request's scans: how many are sent, what the receipt lists.

`DocumentProgress` is the queue's and the detail view's line ("documents 2 of 5 sent"),
counted over a request's ``scan_parts`` (a part is sent once the server holds its whole
blob, desktop/scans/outbox.py). `scanned_documents` is the receipt's list: each document
scanned, with its label from the request's catalogue version and its page count
(`pages_message`: "1 page", "3 pages", "۳ صفحه", the one wording every scan view uses).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.scans.attach import SENT
from rules.catalog import Service
from rules.messages import Message

DOCUMENTS_SENT = Message(
    fa="مدارک: {sent} از {total} فرستاده شد",
    en="documents {sent} of {total} sent",
)
_PAGE = Message(fa="{pages} صفحه", en="{pages} page")
_PAGES = Message(fa="{pages} صفحه", en="{pages} pages")


def pages_message(pages: int) -> Message:
    """A page count as the clerk reads it: "1 page", "3 pages"; "۳ صفحه" in Persian (a
    Persian noun after a number stays singular; `Message.format` writes Persian digits)."""
    return (_PAGE if pages == 1 else _PAGES).format(pages=pages)


@dataclass(frozen=True)
class DocumentProgress:
    sent: int
    total: int

    @property
    def complete(self) -> bool:
        return self.sent >= self.total

    def message(self) -> Message:
        return DOCUMENTS_SENT.format(sent=self.sent, total=self.total)


#: The queue row's two counts as SQL over ``requests`` (one indexed probe each: the
#: UNIQUE (request_id, position) index), so a page of rows stays one statement.
TOTAL_SQL = "(SELECT count(*) FROM scan_parts p WHERE p.request_id = requests.id)"
SENT_SQL = (
    "(SELECT count(*) FROM scan_parts p WHERE p.request_id = requests.id"
    f" AND p.upload_state = '{SENT}')"
)


def progress_of(
    conn: sqlite3.Connection, request_ids: Iterable[str]
) -> dict[str, DocumentProgress]:
    """The progress of each of `request_ids` that has scans."""
    ids = list(request_ids)
    found: dict[str, DocumentProgress] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for request_id, sent, total in conn.execute(
            "SELECT request_id, sum(upload_state = ?), count(*) FROM scan_parts "
            f"WHERE request_id IN ({','.join('?' * len(chunk))}) GROUP BY request_id",
            [SENT, *chunk],
        ):
            found[request_id] = DocumentProgress(int(sent or 0), int(total))
    return found


@dataclass(frozen=True)
class ScannedDocument:
    document: str
    label: Message
    pages: int

    def pages_text(self, lang: str) -> str:
        return pages_message(self.pages).text(lang)


def pages_per_document(conn: sqlite3.Connection, request_id: str) -> tuple[tuple[str, int], ...]:
    """(document code, pages) of each document scanned for a request, in the order attached."""
    rows = conn.execute(
        "SELECT document, sum(pages) FROM scan_parts WHERE request_id = ? "
        "GROUP BY document ORDER BY min(position)",
        (request_id,),
    ).fetchall()
    return tuple((str(doc), int(pages)) for doc, pages in rows)


def scanned_documents(
    pages: Iterable[tuple[str, int]], service: Service | None
) -> tuple[ScannedDocument, ...]:
    """The documents scanned, labelled as the request's catalogue version names them."""
    labels = {d.key: d.label for d in service.documents} if service is not None else {}
    return tuple(ScannedDocument(doc, labels.get(doc, Message(doc, doc)), n) for doc, n in pages)
