"""A saved request as the sync protocol's ``RequestItem`` (see docs/PROTOCOL.md).

The one conversion at the store → wire boundary: ``item_from_columns`` turns the request's
column values (a row of ``requests`` as the push reads it, or the values a save is about to
insert) into the item. The same function builds the item at save time (for its content
hash, from the answers the form gave, not from their JSON text) and at push time (from the
stored JSON), so what the server hashes is exactly what the counter hashed; what the hash
covers is ``sync.protocol.RequestItem``'s business.

A request's scans travel as ``scans`` (their hashes, sizes, page counts; the bytes go by
/v1/blobs): ``scan_refs`` reads them from ``scan_parts`` for the push, and the save
passes the parts it is about to record, so the hash covers the same list both times.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from desktop.db.models import Request
from sync.protocol import RequestItem, ScanRef, utc_iso


def item_from_columns(
    c: Mapping[str, Any],
    *,
    answers: Mapping[str, Any] | None = None,
    documents: Sequence[str] | None = None,
    scans: Sequence[ScanRef] = (),
) -> RequestItem:
    """The wire form of a request's columns, with the ``content_hash`` stored beside them.

    ``answers``/``documents`` are the parsed values when the caller has them (a save);
    otherwise they are read from ``answers_json``/``documents_json`` (``ValueError`` for a
    damaged text).
    """
    return RequestItem(
        id=c["id"],
        seq=c["seq"],
        reference=c["reference"],
        office_code=c["office_code"],
        clerk=c["clerk_username"],
        service_code=c["service_code"],
        catalog_version=c["catalog_version"],
        created_at=utc_iso(c["created_at"]),
        applicant={
            "national_code": c["national_code"],
            "first_name": c["first_name"],
            "last_name": c["last_name"],
            "mobile": c["mobile"],
            "address": c["address"],
        },
        answers=dict(answers) if answers is not None else json.loads(c["answers_json"]),
        documents=list(documents) if documents is not None else json.loads(c["documents_json"]),
        fees={"government": c["government_fee"], "office": c["office_fee"], "vat": c["vat"]},
        card_ref=c["card_ref"],
        supersedes=c["supersedes_id"],
        scans=list(scans) or None,
        content_hash=c["content_hash"],
    )


def scan_refs(conn: sqlite3.Connection, request_ids: Iterable[str]) -> dict[str, list[ScanRef]]:
    """The scans of each of `request_ids` that has any, in the order they were attached."""
    ids = list(request_ids)
    found: dict[str, list[ScanRef]] = {}
    for start in range(0, len(ids), 500):  # under SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        rows = conn.execute(
            "SELECT request_id, document, sha256, size, pages FROM scan_parts "
            f"WHERE request_id IN ({','.join('?' * len(chunk))}) ORDER BY request_id, position",
            chunk,
        )
        for request_id, document, sha256, size, pages in rows:
            found.setdefault(request_id, []).append(ScanRef(document, sha256, size, pages))
    return found


def request_item(req: Request, scans: Sequence[ScanRef] = ()) -> RequestItem:
    """The wire form of a loaded ``Request`` (tests and benchmarks hold ORM rows)."""
    return item_from_columns(
        {col.key: getattr(req, col.key) for col in Request.__table__.columns}, scans=scans
    )


def compute_hash(req: Request) -> str:
    """The content hash of a loaded ``Request`` (its own ``content_hash`` not consulted)."""
    return request_item(req).computed_hash()
