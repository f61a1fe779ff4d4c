"""A child program that encrypts a plain store the way the first login of a manager does.

``python -m tests.support.encryptor DATA_DIR PASSWORD`` opens the plain store, logs the
manager ``modir`` in, prints ``ready`` and waits for a line on stdin; then it runs
``desktop.keyslots_setup.encrypt_store`` (key file, encrypted copy, rename, backups) and
prints ``done <seconds>``. tests/core/test_encryption_sigkill.py kills it on the way.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    os.environ.setdefault("PISHKHAN_CHEAP_HASHES", "1")
    from desktop.clerks import ClerkDirectory
    from desktop.db.engine import Store
    from desktop.keyslots_setup import encrypt_store

    store = Store.open(Path(argv[0]))
    manager = ClerkDirectory(store).authenticate("modir", argv[1])
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.perf_counter()
    encrypt_store(store, manager, argv[1])
    print(f"done {time.perf_counter() - started:.3f}", flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
