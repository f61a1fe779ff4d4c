"""Benchmark: what encryption at rest costs: intake, start-up, queue open, login, migration.

Two copies of the cached big store (a million requests; ``--quick``: 5,000;
``PISHKHAN_BENCH_ENCRYPTION_STORED`` to choose another size): one left plain, one
encrypted the way the first start of this version does it (``desktop.db.encrypt``: the
migration's own time is a figure). Then, in the same run and alternating so that the
machine's noise falls on both alike:

- intake: saves through the real use case into each store, in blocks, p50 and p99;
- queue open: a fresh read connection, every id of the queue's default filter (newest
  first) and the first page of 200 rows, the reads the queue view makes when it opens;
- start-up: the real program to its login window on each store (``bench.startup``'s
  probe) against a bare PySide6 window;
- login on the encrypted store: the password unwrapping the data key (argon2id with the
  program's parameters) and the store opened with it, what a clerk waits after Enter.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

from bench.common import BenchResult, RunOptions, at_most, below, median, percentile, ratio
from bench.million import copy_store, store_size_bytes
from bench.startup import start_once, unloaded
from desktop import keyslots
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.db.encrypt import encrypt_plain
from desktop.db.engine import DB_FILENAME, Store
from desktop.db.peek import read_header_fields
from desktop.db.raw import driver_connection
from desktop.intake import Intake
from desktop.keyslots_setup import data_key_for
from desktop.queue import QueueQueries
from desktop.samples import sample_draft

NAME = "encryption"
TITLE = "Encryption at rest: encrypted store against plain, same run"
BLOCK = 200
WARM_UP = 30
PASSWORD = "bench-password"


def _stored(opts: RunOptions) -> int:
    chosen = os.environ.get("PISHKHAN_BENCH_ENCRYPTION_STORED")
    return int(chosen) if chosen else opts.stored


def _encrypt(data_dir: Path, clerk: ClerkInfo) -> float:
    """Encrypt the plain store in ``data_dir`` as the first start does; its seconds."""
    key = keyslots.new_data_key()
    slots = keyslots.KeySlots().with_clerk(key, clerk.id, clerk.username, PASSWORD)
    slots, _ = slots.with_recovery(key)
    store = Store.open(data_dir)
    with store.read() as s:
        header = read_header_fields(driver_connection(s))
    store.close()
    if header is not None:
        slots = slots.with_header(header)
    slots.save(data_dir)
    t0 = time.perf_counter()
    encrypt_plain(data_dir / DB_FILENAME, key)
    return time.perf_counter() - t0


def _queue_open(store: Store) -> float:
    queries = QueueQueries(store)
    t0 = time.perf_counter()
    ids = queries.ids()
    queries.rows(list(ids[:200]))
    seconds = time.perf_counter() - t0
    queries.close()
    return seconds


def run(opts: RunOptions) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    existing = _stored(opts)
    saves = opts.size(3_000, 200)
    starts = opts.size(11, 1)  # the bare window alone varies by a third between runs of 5
    opens = opts.size(7, 2)
    res.params = {
        "requests stored": f"{existing:,}",
        "saves each": f"{saves:,} in blocks of {BLOCK}, alternating",
        "queue opens each": opens,
        f"start-ups each ({'no' if opts.quick else 'after one'} warm-up)": starts,
        "cipher": "SQLCipher 4 (sqlcipher3): AES-256-CBC pages, HMAC-SHA512, raw 256-bit key",
    }
    work = opts.work_dir / "encryption"
    plain_dir = copy_store(opts.cache_dir, existing, work / "plain" / "Pishkhan")
    enc_dir = work / "encrypted" / "Pishkhan"
    copy_store(opts.cache_dir, existing, enc_dir)

    plain = Store.open(plain_dir)
    clerk = ClerkDirectory(plain).list()[0]
    ClerkDirectory(plain).change_password(clerk, clerk.id, PASSWORD)
    plain.close()
    shutil.copyfile(plain_dir / DB_FILENAME, enc_dir / DB_FILENAME)
    migration_s = _encrypt(enc_dir, clerk)
    res.add(
        f"migration: the plain store encrypted ({store_size_bytes(enc_dir) / 2**20:,.0f} MiB)",
        migration_s,
        "s",
        digits=2,
        note="sqlcipher_export into a copy, fsync, rename over; once per PC",
    )

    # Login: argon2id with the program's own parameters, then the store opened.
    cheap = os.environ.pop("PISHKHAN_CHEAP_HASHES", None)
    try:
        t0 = time.perf_counter()
        key = data_key_for(enc_dir, username=clerk.username, password=PASSWORD)
        unlock_s = time.perf_counter() - t0
    finally:
        if cheap is not None:
            os.environ["PISHKHAN_CHEAP_HASHES"] = cheap
    assert key is not None
    t0 = time.perf_counter()
    encrypted = Store.open(enc_dir, key=key)
    open_s = time.perf_counter() - t0
    plain = Store.open(plain_dir)
    res.add("login: password → data key (argon2id, 64 MiB, t=3, p=4)", unlock_s * 1000, "ms")
    res.add("login: encrypted store opened with the key", open_s * 1000, "ms", digits=0)
    try:
        plain_saves, enc_saves = _intake(plain, encrypted, clerk, saves)
        ms = 1000.0
        p50, p99 = percentile(plain_saves, 50) * ms, percentile(plain_saves, 99) * ms
        e50, e99 = percentile(enc_saves, 50) * ms, percentile(enc_saves, 99) * ms
        res.add("intake, encrypted: save p50", e50, "ms", digits=2)
        res.add("intake, encrypted: save p99", e99, "ms", at_most(20, "≤ 20 ms"), digits=2)
        res.add("intake, plain: save p50", p50, "ms", digits=2)
        res.add("intake, plain: save p99", p99, "ms", digits=2)
        res.add("intake p50: encrypted ÷ plain", ratio(e50, p50), "×")
        res.add("intake p99: encrypted ÷ plain", ratio(e99, p99), "×")

        plain_opens, enc_opens = [], []
        for _ in range(opens):
            plain_opens.append(_queue_open(plain))
            enc_opens.append(_queue_open(encrypted))
        qp, qe = median(plain_opens) * ms, median(enc_opens) * ms
        res.add("queue open, encrypted (ids + first page, median)", qe, "ms", below(1000, "< 1 s"))
        res.add("queue open, plain (median)", qp, "ms", digits=0)
        res.add("queue open: encrypted ÷ plain", ratio(qe, qp), "×")
    finally:
        plain.close()
        encrypted.close()

    if not opts.quick:  # a --quick run's one start of each is not a figure
        start_once("bare")  # warm-up: .pyc files, the file cache, Qt's font cache
        start_once("app", plain_dir)
        start_once("app", enc_dir)
    bare_runs: list[dict[str, float]] = []
    plain_runs: list[dict[str, float]] = []
    enc_runs: list[dict[str, float]] = []
    for _ in range(starts):
        enc_runs.append(start_once("app", enc_dir))
        plain_runs.append(start_once("app", plain_dir))
        bare_runs.append(start_once("bare"))
    sb, sp, se = (median([r["shown"] for r in runs]) for runs in (bare_runs, plain_runs, enc_runs))
    res.add("start-up, encrypted: login window shown (median)", se * 1000, "ms", digits=0)
    res.add("start-up, plain: login window shown (median)", sp * 1000, "ms", digits=0)
    res.add("start-up: bare PySide6 window shown (median)", sb * 1000, "ms", digits=0)
    res.add("start-up encrypted ÷ bare window", ratio(se, sb), "×", at_most(1.5, "≤ 1.5×"))
    res.add("start-up encrypted ÷ plain", ratio(se, sp), "×")
    ub, up, ue = (median([unloaded(r) for r in runs]) for runs in (bare_runs, plain_runs, enc_runs))
    res.add(
        "start-up encrypted ÷ bare, each less its wait for a CPU (the machine's load)",
        ratio(ue, ub),
        "×",
        note=f"{ue * 1000:,.0f} against {ub * 1000:,.0f} ms (plain {up * 1000:,.0f} ms)",
    )
    res.add(
        "start-up, encrypted: ready to unlock (the login's modules loaded, median)",
        median([r["ready"] for r in enc_runs]) * 1000,
        "ms",
        digits=0,
        note="on the worker, after the first paint",
    )
    res.notes.append(
        "the encrypted start shows the login window from the key file's plain header and "
        "opens the store after the password (the login figures above); the plain start "
        "opens it on the worker meanwhile; both start the worker after the window's first "
        "paint, and 'shown' is the loop turn after that paint"
    )
    if existing != opts.stored:
        res.notes.append(f"store size chosen by PISHKHAN_BENCH_ENCRYPTION_STORED={existing}")
    shutil.rmtree(work, ignore_errors=True)
    return res


def _intake(
    plain: Store, encrypted: Store, clerk: ClerkInfo, saves: int
) -> tuple[list[float], list[float]]:
    sides = []
    for store in (plain, encrypted):
        catalogs = CatalogStore(store)
        sides.append((store, Intake(store, catalogs)))
    rng = random.Random(13)
    services = [s for s in sides[0][1].catalogs.current().services if s.active]
    drafts = [sample_draft(rng.choice(services), rng) for _ in range(saves + WARM_UP)]
    for _, intake in sides:
        for d in drafts[:WARM_UP]:
            intake.save(clerk, d)
    times: list[list[float]] = [[], []]
    todo = drafts[WARM_UP:]
    for start in range(0, len(todo), BLOCK):
        for side, (_, intake) in enumerate(sides):
            for d in todo[start : start + BLOCK]:
                t0 = time.perf_counter()
                intake.save(clerk, d)
                times[side].append(time.perf_counter() - t0)
    return times[0], times[1]
