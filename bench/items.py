"""Realistic pushed requests: what a counter PC would send, built by the counter's own code.

A draft from ``desktop.samples`` (valid identifiers, Persian names, every field and
document of a demo-catalogue service) is validated by ``rules.catalog.validate_request``
as the form would, and turned into a protocol item by ``desktop.wire.item_from_columns`` (so
its content hash is the counter's). Built fast, without a local store, for the server
and sync benchmarks that need tens of thousands of them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

from desktop.catalog_store import demo_catalog_path
from desktop.clock import TEHRAN
from desktop.intake import form_columns
from desktop.samples import sample_draft
from desktop.wire import item_from_columns
from rules.catalog import Catalog, load_catalog_file, validate_request
from sync.client import push_payload
from sync.protocol import RequestItem, encode

_DEMO: Catalog | None = None


def demo_catalog() -> Catalog:
    global _DEMO
    if _DEMO is None:
        _DEMO = load_catalog_file(demo_catalog_path())
    return _DEMO


class ItemFactory:
    """Makes items fast: a few thousand validated contents, each reused under new identities.

    Validating a draft costs about a millisecond here; a benchmark wants 50,000 items. So
    ``variants`` drafts are validated once, and each item takes one of them (a returning
    citizen, in effect) with its own id, sequence number, reference and time; its content
    hash is computed by ``desktop.wire`` for exactly what it sends.
    """

    def __init__(
        self,
        *,
        variants: int = 2000,
        seed: int = 1405,
        catalog: Catalog | None = None,
        catalog_version: int = 1,
        clerk: str = "karmand",
    ) -> None:
        self.catalog = catalog or demo_catalog()
        self.catalog_version = catalog_version
        self.clerk = clerk
        self.rng = random.Random(seed)
        services = [s for s in self.catalog.services if s.active]
        today = dt.datetime.now(dt.UTC).astimezone(TEHRAN).date()
        self.variants: list[dict[str, Any]] = []
        for _ in range(variants):
            service = self.rng.choice(services)
            draft = sample_draft(service, self.rng)
            form = validate_request(
                service, dict(draft.applicant), dict(draft.answers), draft.documents, today=today
            )
            self.variants.append(
                {"service_code": service.code, **form_columns(form, draft.card_ref)}
            )

    def rows(
        self, office_code: str, counter_no: int, n: int, first_seq: int = 1
    ) -> list[dict[str, Any]]:
        """``n`` requests of one PC as row-like objects (the columns ``desktop.wire`` reads)."""
        rng = self.rng
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        out = []
        for i in range(n):
            seq = first_seq + i
            row: dict[str, Any] = {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "seq": seq,
                "reference": f"{office_code}-{counter_no}-{seq:06d}",
                "office_code": office_code,
                "clerk_username": self.clerk,
                "catalog_version": self.catalog_version,
                "created_at": now - dt.timedelta(seconds=(n - i) * 7),
                "supersedes_id": None,
                "content_hash": "",
                **self.variants[int(rng.random() * len(self.variants))],
            }
            row["content_hash"] = item_from_columns(row).computed_hash()
            out.append(row)
        return out

    def items(
        self, office_code: str, counter_no: int, n: int, first_seq: int = 1
    ) -> list[RequestItem]:
        """``n`` protocol items of one PC, sequence numbers from ``first_seq`` on."""
        return [item_from_columns(r) for r in self.rows(office_code, counter_no, n, first_seq)]


def json_bytes(obj: Any) -> bytes:
    """Compact UTF-8 JSON, as the sync client sends it."""
    return encode(obj)


def push_body(device_id: str, items: list[RequestItem]) -> bytes:
    """A push body exactly as the sync client sends it (gzip level 9)."""
    return push_payload(device_id, items)
