"""Benchmark 1: intake save latency into a store already holding a million requests.

Each save goes through the real use case (``desktop.intake.Intake.save``: validation,
the gap-free sequence, request + state + outbox + audit in one ``BEGIN IMMEDIATE``
transaction, WAL with ``synchronous=FULL``). The baseline, in the same run and on the
same database file, is the floor any design pays: one bare ``sqlite3`` transaction that
inserts the same request row, durably (same pragmas, same indexes). The two alternate
in blocks so that the machine's noise falls on both alike.
"""

from __future__ import annotations

import random
import sqlite3
import time
import uuid

from bench.common import BenchResult, RunOptions, at_most, median, percentile, ratio
from bench.million import copy_store, store_size_bytes
from bench.profiling import profile_self
from desktop.catalogs import CatalogStore
from desktop.clerks import ClerkDirectory
from desktop.db.engine import DB_FILENAME, Store
from desktop.intake import Intake, RequestDraft
from desktop.samples import sample_draft

NAME = "intake"
TITLE = "Intake: save latency into a store of a million requests"
BLOCK = 500
WARM_UP = 50


def _drafts(intake: Intake, n: int, seed: int) -> list[RequestDraft]:
    rng = random.Random(seed)
    services = [s for s in intake.catalogs.current().services if s.active]
    return [sample_draft(rng.choice(services), rng) for _ in range(n)]


class _Baseline:
    """Bare durable inserts of rows the intake just wrote, under new identities."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON",
                       "busy_timeout=10000"):
            self.conn.execute(f"PRAGMA {pragma}")
        cols = [r[1] for r in self.conn.execute("PRAGMA table_info(requests)")]
        self.cols = [c for c in cols if c != "local_id"]
        self.sql = (f"INSERT INTO requests ({','.join(self.cols)}) "
                    f"VALUES ({','.join('?' * len(self.cols))})")
        self.serial = 0

    def rows_after(self, local_id: int) -> list[list[object]]:
        cur = self.conn.execute(
            f"SELECT {','.join(self.cols)} FROM requests WHERE local_id > ? ORDER BY local_id",
            (local_id,))
        rows = [list(r) for r in cur]
        pos = {c: i for i, c in enumerate(self.cols)}
        for row in rows:
            self.serial += 1
            row[pos["id"]] = str(uuid.uuid4())
            row[pos["seq"]] = 900_000_000 + self.serial
            row[pos["reference"]] = f"B-{self.serial:09d}"
        return rows

    def insert(self, row: list[object]) -> float:
        t0 = time.perf_counter()
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(self.sql, row)
        self.conn.execute("COMMIT")
        return time.perf_counter() - t0

    def max_local_id(self) -> int:
        row = self.conn.execute("SELECT coalesce(max(local_id), 0) FROM requests").fetchone()
        return int(row[0])

    def close(self) -> None:
        self.conn.close()


def run(opts: RunOptions) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    existing = opts.stored
    saves = opts.size(10_000, 100)
    block = min(BLOCK, saves)
    res.params = {"requests already stored": f"{existing:,}", "saves": f"{saves:,}",
                  "synchronous": "FULL (WAL)", "blocks": f"{block} saves / {block} baseline"}

    data_dir = copy_store(opts.cache_dir, existing, opts.work_dir / "intake")
    store = Store.open(data_dir)
    baseline = _Baseline(str(data_dir / DB_FILENAME))
    try:
        catalogs = CatalogStore(store)
        clerk = ClerkDirectory(store).list()[0]
        intake = Intake(store, catalogs)
        drafts = _drafts(intake, saves + WARM_UP, seed=5)

        # Validation alone (CPU only): the part of a save that is not the database.
        validate_s = []
        for d in drafts[:min(1000, saves)]:
            t0 = time.perf_counter()
            intake.validate(d)
            validate_s.append(time.perf_counter() - t0)

        for d in drafts[:WARM_UP]:  # catalogue parsed, statements prepared, pages cached
            intake.save(clerk, d)
        save_s: list[float] = []
        base_s: list[float] = []
        todo = drafts[WARM_UP:]
        for start in range(0, len(todo), block):
            mark = baseline.max_local_id()
            for d in todo[start:start + block]:
                t0 = time.perf_counter()
                intake.save(clerk, d)
                save_s.append(time.perf_counter() - t0)
            for row in baseline.rows_after(mark):
                base_s.append(baseline.insert(row))

        ms = 1000.0
        s50, s99 = percentile(save_s, 50) * ms, percentile(save_s, 99) * ms
        b50, b99 = percentile(base_s, 50) * ms, percentile(base_s, 99) * ms
        res.add("save p50", s50, "ms", digits=2)
        res.add("save p99", s99, "ms", at_most(20, "≤ 20 ms"), digits=2)
        res.add("save p99 ÷ baseline p99", ratio(s99, b99), "×", at_most(2.0, "≤ 2×"))
        res.add("save p50 ÷ baseline p50", ratio(s50, b50), "×")
        res.add("save max", max(save_s) * ms, "ms", digits=2)
        res.add("baseline p50 (bare durable insert)", b50, "ms", digits=2)
        res.add("baseline p99", b99, "ms", digits=2)
        res.add("validation alone p50", median(validate_s) * ms, "ms", digits=3)
        res.add("saves per second (serial)", len(save_s) / sum(save_s), "/s", digits=0)
        res.notes.append(
            f"store file after the run: {store_size_bytes(data_dir) / 2**20:,.0f} MiB; "
            f"each side timed {len(save_s):,} times after {WARM_UP} warm-up saves")

        if res.misses and opts.profile:
            more = iter(_drafts(intake, 20_000, seed=6))
            profile = profile_self(lambda: intake.save(clerk, next(more)), 10, idle=True)
            res.profile = profile.text("intake.save, 10 s of saves (idle included: fsync waits)")
            res.limits.append(_explain(s50, b50, median(validate_s) * ms))
    finally:
        baseline.close()
        store.close()
    return res


def _explain(save_p50: float, base_p50: float, validate_p50: float) -> str:
    rest = save_p50 - base_p50 - validate_p50
    return (f"a save's median {save_p50:.2f} ms = the durable commit floor {base_p50:.2f} ms "
            f"(fsync of the WAL) + validation {validate_p50:.2f} ms + {rest:.2f} ms of ORM, "
            f"sequence update and the three extra rows (state, outbox, audit) in the same "
            f"transaction")
