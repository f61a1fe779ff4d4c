"""Part of ``python -m bench ingest``: the push path alone, in this process, with and
without what the web console adds to it (issue 15).

``server.push.push`` is called serially (no HTTP, no other thread) on a fresh database
for 20 PCs x 1,000 requests in pushes of 100, and the CPU it costs is counted: this
process's, and on PostgreSQL its backend's (by application_name). Two schemas, measured
in turns in the same run:

- **as migrated**: every migration, so with the console's inbox indexes on ``requests``
  ((office_id, pk), (state, pk), (reference)) and its search rows (``request_search``,
  written by the push since migration 0010);
- **baseline, no console**: the same database with the requests' indexes as they were
  before the console (office_id alone) and no search rows written.

Their ratio is what the console costs a push. Timings on this shared machine move with
its load; CPU seconds move less, and the turns are interleaved so both see the same.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import msgspec
from sqlalchemy import Engine, text

from bench.common import BenchResult, RunOptions, ratio
from bench.items import ItemFactory

PCS = 20
BATCH = 100
VARIANTS = ("as migrated", "baseline, no console")
CONSOLE_INDEXES = (
    "ix_requests_console_office_pk",
    "ix_requests_console_state_pk",
    "ix_requests_console_reference",
)


def _without_console(engine: Engine) -> None:
    with engine.begin() as conn:
        for name in CONSOLE_INDEXES:
            conn.execute(text(f"DROP INDEX {name}"))
        conn.execute(text("CREATE INDEX ix_requests_office_id ON requests (office_id)"))


@contextlib.contextmanager
def _no_search_rows() -> Iterator[None]:
    import server.push

    kept = server.push.add_search_keys
    server.push.add_search_keys = lambda conn, stored: None
    try:
        yield
    finally:
        server.push.add_search_keys = kept


def _backend_cpu(engine: Engine, url: str) -> float:
    from bench.ingest import _proc_cpu

    app = url.rsplit("application_name=", 1)[1]
    with engine.connect() as conn:
        pids = conn.execute(
            text(
                "SELECT pid FROM pg_stat_activity WHERE application_name = :a"
                " AND pid <> pg_backend_pid()"
            ),
            {"a": app},
        ).scalars()
        return sum(_proc_cpu(int(pid), children=False) for pid in pids)


def _one(url: str, variant: str, factory: ItemFactory, per_pc: int) -> tuple[float, float]:
    """CPU seconds per 1,000 requests: (this process, the PostgreSQL backend)."""
    from server import offices
    from server.app import prepare_database
    from server.catalogs import CatalogCache
    from server.db import make_engine
    from server.push import push
    from sync.protocol import EnrolRequest, encode

    now = dt.datetime.now(dt.UTC)
    engine = make_engine(url)
    try:
        prepare_database(engine, now=now)
        if variant != VARIANTS[0]:
            _without_console(engine)
        batches = []
        for n in range(PCS):
            code = str(7000 + n)
            office_id = offices.add_office(engine, code, f"دفتر {n}", now=now)
            enrolment = offices.create_enrolment_code(engine, code, ttl_hours=1, now=now)
            device_id = str(uuid.uuid4())
            offices.enrol(engine, EnrolRequest(enrolment, device_id, code, 1), now=now)
            device = offices.AuthDevice(
                id=device_id, office_id=office_id, office_code=code, counter_no=1
            )
            raw = [msgspec.Raw(encode(item)) for item in factory.items(code, 1, per_pc)]
            batches.append([(device, raw[i : i + BATCH]) for i in range(0, per_pc, BATCH)])
        turns = [b for round_ in zip(*batches, strict=True) for b in round_]
        cache = CatalogCache()
        pg = not url.startswith("sqlite")
        pg0 = _backend_cpu(engine, url) if pg else 0.0
        cpu0 = time.process_time()
        with _no_search_rows() if variant != VARIANTS[0] else contextlib.nullcontext():
            for device, raw in turns:
                push(engine, cache, device, raw, now=now, retry_after=5)
        cpu = time.process_time() - cpu0
        backend = (_backend_cpu(engine, url) - pg0) if pg else 0.0
    finally:
        engine.dispose()
    per_k = 1000 / (PCS * per_pc)
    return cpu * per_k, backend * per_k


def _scratch(stack: contextlib.ExitStack, opts: RunOptions, base: str | None) -> str:
    """A fresh database: a SQLite file of its own, or a PostgreSQL schema of its own."""
    from tests.support.server import postgres_schema_url

    if base is not None:
        return stack.enter_context(postgres_schema_url(base))
    folder = opts.work_dir / f"push-path-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    return f"sqlite:///{Path(folder) / 'server.sqlite3'}"


def measure(res: BenchResult, opts: RunOptions) -> None:
    per_pc = opts.size(1000, 50)
    rounds = opts.size(3, 1)
    factory = ItemFactory(variants=opts.size(300, 50), seed=56)
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if opts.pg_url:
        backends.append(("PostgreSQL", opts.pg_url))
    for backend, base in backends:
        # Warm-up, not counted: imports, compiled statements. Not for --quick, where it
        # pushed more (at least a batch a PC) than its one measured turn.
        for variant in () if opts.quick else VARIANTS:
            with contextlib.ExitStack() as stack:
                url = _scratch(stack, opts, base)
                _one(url, variant, factory, max(BATCH, per_pc // 10))
        own: dict[str, list[float]] = {v: [] for v in VARIANTS}
        db: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for turn in range(rounds):
            for variant in VARIANTS if turn % 2 == 0 else VARIANTS[::-1]:
                with contextlib.ExitStack() as stack:
                    url = _scratch(stack, opts, base)
                    mine, theirs = _one(url, variant, factory, per_pc)
                own[variant].append(mine)
                db[variant].append(theirs)
        label = f"push path alone ({backend}, one process)"
        for variant in VARIANTS:
            res.add(
                f"{label}, {variant}: CPU per 1,000 requests",
                statistics.median(own[variant]),
                "s",
                digits=3,
            )
            if base is not None:
                res.add(
                    f"{label}, {variant}: PostgreSQL backend CPU per 1,000 requests",
                    statistics.median(db[variant]),
                    "s",
                    digits=3,
                )
        res.add(
            f"{label}: as migrated ÷ baseline, CPU",
            ratio(statistics.median(own[VARIANTS[0]]), statistics.median(own[VARIANTS[1]])),
            "×",
            digits=2,
        )
        res.notes.append(
            f"{label}: {rounds} turns each, medians; this process's CPU per 1,000 "
            + ", ".join(f"{v}: {', '.join(f'{x:.3f}' for x in own[v])}" for v in VARIANTS)
        )
