"""A child program that saves requests with three scan parts each, until it is killed.

``python -m tests.scans.scan_saver DATA_DIR SEED`` prints ``ready``, then ``<seq> <id>``
for each save only after ``save`` returned (the moment the clerk sees "saved"). Every
request carries three distinct parts of ~110 kB (the pages of its required scan), so
every save writes new scan files.
"""

from __future__ import annotations

import dataclasses
import os
import random
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("PISHKHAN_CHEAP_HASHES", "1")
    from desktop.catalog_store import CatalogStore
    from desktop.clerks import ClerkDirectory
    from desktop.db.engine import Store
    from desktop.intake import Intake
    from desktop.samples import sample_draft
    from desktop.scans.attach import DocumentScan
    from desktop.scans.budgets import ScanKind
    from desktop.scans.shrink import JPEG, ShrunkPart

    store = Store.open(Path(argv[0]))
    catalogs = CatalogStore(store)
    clerk = ClerkDirectory(store).list()[0]
    intake = Intake(store, catalogs)
    rng = random.Random(int(argv[1]))
    services = [s for s in catalogs.current().services if s.documents]
    print("ready", flush=True)
    while True:
        service = rng.choice(services)
        scans = [
            DocumentScan(
                document=service.documents[0].key,  # required, up to 3 pages
                kind=ScanKind.DOCUMENT,
                part=ShrunkPart(JPEG, rng.randbytes(rng.randint(60_000, 110_000)), 1, 1240, 1754),
            )
            for page in range(3)
        ]
        draft = dataclasses.replace(sample_draft(service, rng), scans=scans)
        saved = intake.save(clerk, draft)
        sys.stdout.write(f"{saved.seq} {saved.id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
