"""A saved request as the sync protocol's ``RequestItem`` (see docs/PROTOCOL.md).

The same function builds the item at save time (for its content hash) and at
push time, so what the server hashes is exactly what the counter hashed.
"""

from __future__ import annotations

import json
from typing import Any

from desktop.db.models import Request
from sync.protocol import content_hash, utc_iso


def request_item(req: Request) -> dict[str, Any]:
    """The wire form of a request, ``content_hash`` included."""
    item = request_fields(req)
    item["content_hash"] = req.content_hash
    return item


def request_fields(req: Request) -> dict[str, Any]:
    """Every field the content hash covers (the item without ``content_hash``)."""
    return dict(
        id=req.id,
        seq=req.seq,
        reference=req.reference,
        office_code=req.office_code,
        clerk=req.clerk_username,
        service_code=req.service_code,
        catalog_version=req.catalog_version,
        created_at=utc_iso(req.created_at),
        applicant={
            "national_code": req.national_code,
            "first_name": req.first_name,
            "last_name": req.last_name,
            "mobile": req.mobile,
            "address": req.address,
        },
        answers=json.loads(req.answers_json),
        documents=json.loads(req.documents_json),
        fees={"government": req.government_fee, "office": req.office_fee, "vat": req.vat},
        card_ref=req.card_ref,
        supersedes=req.supersedes_id,
    )


def compute_hash(req: Request) -> str:
    return content_hash(request_fields(req))
