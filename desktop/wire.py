"""A saved request as the sync protocol's ``RequestItem`` (see docs/PROTOCOL.md).

The one conversion at the store → wire boundary. The same function builds the item at
save time (for its content hash) and at push time, so what the server hashes is exactly
what the counter hashed; what the hash covers is ``sync.protocol.RequestItem``'s business.
"""

from __future__ import annotations

import json

from desktop.db.models import Request
from sync.protocol import RequestItem, utc_iso


def request_item(req: Request) -> RequestItem:
    """The wire form of a stored request, with the ``content_hash`` stored beside it."""
    return RequestItem(
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
        content_hash=req.content_hash,
    )


def compute_hash(req: Request) -> str:
    """The content hash of a request about to be saved (its own hash not yet set)."""
    return request_item(req).computed_hash()
