"""``python -m bench.migration --store DIR``: migration 0003 (one state) on a big store.

DIR is a data folder whose store is at revision 0002, made by the program before this
migration (``bench.million.cached_store_dir`` run from that program's tree). Its file is
copied for each run; figures: SQLite's online backup of the copy (the baseline, which
``Store.open`` makes anyway before it migrates), the migration alone, and the whole
``Store.open`` (backup + migration). The baseline is run twice for the run-to-run noise.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from desktop.db.engine import DB_FILENAME, Store, alembic_config
from desktop.db.peek import stored_revision


def _copy(source: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copyfile(source / DB_FILENAME, target / DB_FILENAME)
    return target / DB_FILENAME


def _backup_seconds(db: Path, out: Path) -> float:
    t = time.perf_counter()
    src, dst = sqlite3.connect(db), sqlite3.connect(out)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    seconds = time.perf_counter() - t
    out.unlink()
    return seconds


def _migration_seconds(db: Path) -> float:
    from alembic import command

    t = time.perf_counter()
    command.upgrade(alembic_config(db), "head")
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    args = parser.parse_args()
    if stored_revision(args.store / DB_FILENAME) != "0002":
        raise SystemExit("the store must be at revision 0002")
    requests = (
        sqlite3.connect(args.store / DB_FILENAME)
        .execute("SELECT count(*) FROM requests")
        .fetchone()[0]
    )
    with tempfile.TemporaryDirectory(prefix="bench-migration-") as tmp:
        work = Path(tmp)
        db = _copy(args.store, work / "a")
        base = [_backup_seconds(db, work / f"b{i}.sqlite3") for i in range(2)]
        migrate = _migration_seconds(db)
        states = dict(
            sqlite3.connect(db).execute("SELECT state, count(*) FROM requests GROUP BY 1")
        )
        _copy(args.store, work / "c")
        t = time.perf_counter()
        Store.open(work / "c").close()
        whole = time.perf_counter() - t
    noise = abs(base[0] - base[1]) / min(base)
    print(f"requests: {requests:,}; states after: {states}")
    print(f"baseline (online backup of the store): {base[0]:.2f} s, {base[1]:.2f} s")
    print(f"run-to-run noise of the baseline: {noise:.0%}")
    print(f"migration 0002 -> 0003 alone: {migrate:.2f} s ({migrate / min(base):.2f}x the backup)")
    print(f"Store.open (backup + migration): {whole:.2f} s ({whole / min(base):.2f}x the backup)")


if __name__ == "__main__":
    main()
