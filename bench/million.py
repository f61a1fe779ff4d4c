"""The million-request local database, built once with ``tests/support/bulk.py`` and cached.

Building it takes about a minute, so it is kept under the cache folder (``.bench-cache/``,
which ignores itself in git) and rebuilt only when what made it changed: the size, the
local schema's head revision. Benchmarks never touch the
cached file: each gets a fresh copy in its work folder (the intake benchmark writes into
it; start-up and the queue open it as the program would, migrations included).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

from desktop.db.engine import DB_FILENAME, Store, schema_head

_BULK_SOURCE = Path(__file__).resolve().parent.parent / "tests" / "support" / "bulk.py"
_STAMP = "stamp.json"


def _ignore_itself(cache_dir: Path) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    marker = cache_dir / ".gitignore"
    if not marker.exists():
        marker.write_text("# benchmark cache: large, rebuilt on demand\n*\n", encoding="utf-8")


def _wanted(n: int) -> dict[str, object]:
    # The filler's source is recorded (bulk_sha256) but not a reason to rebuild: a
    # million rows take minutes, and any store of the current schema measures the same.
    return {"requests": n, "schema_head": schema_head()}


def cached_store_dir(cache_dir: Path, n: int, log: bool = True) -> Path:
    """A data folder holding a store with ``n`` requests (built now if not cached)."""
    _ignore_itself(cache_dir)
    folder = cache_dir / f"store-{n}"
    stamp_path = folder / _STAMP
    wanted = _wanted(n)
    if stamp_path.exists():
        try:
            stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        except ValueError:
            stamp = {}
        if all(stamp.get(k) == v for k, v in wanted.items()) and (folder / DB_FILENAME).exists():
            return folder
    if folder.exists():
        shutil.rmtree(folder)
    building = cache_dir / f"store-{n}.building"
    if building.exists():
        shutil.rmtree(building)
    if log:
        print(
            f"bench: building a {n:,}-request store with tests/support/bulk.py "
            f"(cached in {folder}) ...",
            flush=True,
        )
    from tests.support.bulk import fill_requests

    started = time.perf_counter()
    store = Store.open(building)
    try:
        from desktop.catalog_store import CatalogStore

        CatalogStore(store).ensure_seeded()
        result = fill_requests(store, n)
    finally:
        store.close()
    _settle(building / DB_FILENAME)
    seconds = time.perf_counter() - started
    (building / _STAMP).write_text(
        json.dumps(
            {
                **wanted,
                "bulk_sha256": hashlib.sha256(_BULK_SOURCE.read_bytes()).hexdigest()[:16],
                "built_seconds": round(seconds, 1),
                "fill_seconds": round(result.seconds, 1),
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    building.rename(folder)
    if log:
        print(f"bench: built in {seconds:.0f} s", flush=True)
    return folder


def _settle(db: Path) -> None:
    """Checkpoint the WAL into the main file so that one file is the whole database."""
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def copy_store(cache_dir: Path, n: int, target: Path) -> Path:
    """A private copy of the cached ``n``-request store in ``target`` (a data folder)."""
    source = cached_store_dir(cache_dir, n)
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copyfile(source / DB_FILENAME, target / DB_FILENAME)
    # On disk before anything is timed, as a store in use for days is: otherwise the first
    # fsync of the file (a checkpoint's) writes the whole fresh copy back, seconds of a
    # saturated disk that some unlucky save would wait behind.
    with open(target / DB_FILENAME, "rb+") as copy:
        os.fsync(copy.fileno())
    return target


def store_size_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.glob(DB_FILENAME + "*"))
