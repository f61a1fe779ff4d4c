"""A counter PC with the scan catalogue on both sides, for the sync-round document tests.

The catalogue with scans (``tests.scans.scan_catalog``) is published on the real server by
its own command line and imported on the counter, so requests that carry scans pass the
server's form check; `save_with_scans` saves one through the real intake.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

from desktop.intake import SavedRequest
from desktop.scans.attach import DocumentScan
from desktop.scans.budgets import ScanKind
from desktop.scans.shrink import JPEG, ShrunkPart
from tests.scans.scan_catalog import publish_with_scans
from tests.support.e2e import CentralServer, Counter

SERVICE = "self_employed_insurance"
DOCUMENT = "national_card"


def scan_catalogue_everywhere(counter: Counter, server: CentralServer, folder: Path) -> None:
    catalog = publish_with_scans(counter.catalogs)
    path = folder / "catalogue-with-scans.json"
    path.write_text(json.dumps(catalog.to_document(), ensure_ascii=False), encoding="utf-8")
    published = server.api.cli("publish-catalog", str(path))
    assert published.stdout.strip().splitlines()[-1] == str(catalog.version), published


def save_with_scans(counter: Counter, rng: random.Random, sizes: list[int]) -> SavedRequest:
    """A request whose required document carries one part per size (random, incompressible)."""
    from desktop.samples import sample_draft

    service = counter.catalogs.current().service(SERVICE)
    scans = [
        DocumentScan(DOCUMENT, ScanKind.DOCUMENT, ShrunkPart(JPEG, rng.randbytes(n), 1, 1, 1))
        for n in sizes
    ]
    draft = dataclasses.replace(sample_draft(service, rng), scans=scans)
    return counter.intake.save(counter.clerk, draft)


def save_text(counter: Counter, rng: random.Random) -> SavedRequest:
    """A request of a service without documents to scan: text only."""
    catalog = counter.catalogs.current()
    service = next(s for s in catalog.active_services() if not s.documents)
    from desktop.samples import sample_draft

    return counter.intake.save(counter.clerk, sample_draft(service, rng))
