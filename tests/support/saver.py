"""A child program that saves requests in a loop through the real intake path.

``python -m tests.support.saver DATA_DIR SEED [COUNT]`` prints ``ready``, then
for each save the line ``<seq> <id>`` only after ``save`` returned (the moment
the clerk sees "saved"). Without COUNT it saves until it is killed.
"""

from __future__ import annotations

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

    store = Store.open(Path(argv[0]))
    catalogs = CatalogStore(store)
    clerk = ClerkDirectory(store).list()[0]
    intake = Intake(store, catalogs)
    rng = random.Random(int(argv[1]))
    count = int(argv[2]) if len(argv) > 2 else None
    services = catalogs.current().services
    print("ready", flush=True)
    done = 0
    while count is None or done < count:
        saved = intake.save(clerk, sample_draft(rng.choice(services), rng))
        sys.stdout.write(f"{saved.seq} {saved.id}\n")
        sys.stdout.flush()
        done += 1
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
