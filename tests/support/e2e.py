"""End-to-end harness: a real server process, a real counter PC, the fault proxy between them.

Nothing here is mocked. A scenario is built from:

- :class:`CentralServer`: ``python -m server serve`` on a *fixed* free port of 127.0.0.1 with
  its own SQLite file, so it can be killed (SIGKILL) and started again on the same port and
  database while the proxy keeps pointing at it. Its database and its log are read back
  directly to check what really got stored.
- :class:`Counter`: a counter PC's data folder (office, device, manager, demo catalogue)
  whose requests are saved through the real ``Intake`` with ``sample_draft``. Saving costs a
  synchronous fsync each, so large scenarios copy a folder filled once (``copy_of``).
- :func:`settle`: sync rounds of the real ``SyncEngine`` in this process (fast backoff, short
  timeouts) until nothing waits, bounded in rounds and seconds, failing with a clear message.
- :func:`check_exactly_once`: the promise itself: exactly the expected requests on the
  server, each once, every local one accepted with the server's own tracking code.
"""

from __future__ import annotations

import contextlib
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from desktop import __version__
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.db.engine import Store
from desktop.intake import Intake, SavedRequest
from desktop.office import DeviceInfo, initialise, this_device
from desktop.outbox import StoreQueue
from desktop.samples import sample_draft
from desktop.synccli import enrol_device
from sync.backoff import Backoff
from sync.client import SyncClient
from sync.credentials import credential_store
from sync.engine import (
    BatchAnswered,
    BatchPolicy,
    BatchSending,
    RoundFailed,
    RoundResult,
    RoundStarted,
    SyncEngine,
    SyncEvent,
)
from tests.support.faultproxy import FaultProxy
from tests.support.outbox import outbox_phases
from tests.support.server import DEFAULT_ADMIN_TOKEN, ROOT, RunningServer

START_TIMEOUT_S = 60.0
OFFICE_CODE = "5501"
OFFICE_NAME = "دفتر پیشخوان آزمایش سراسری"
CLERK = "modir"
CLERK_PASSWORD = "correct-horse-battery"

# A "push" log line of the server (server/push.py): per-status counts of one batch.
_PUSH_LINE = re.compile(
    r"push device=(?P<device>\S+) office=\S+ items=(?P<items>\d+)(?: revision=\d+)?(?P<rest>.*)"
)
_COUNT = re.compile(r"(\w+)=(\d+)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- the server


@dataclass
class CentralServer:
    """One server database, served by a process that may be killed and started again."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    admin_token: str = DEFAULT_ADMIN_TOKEN
    running: RunningServer | None = None
    logs: list[Path] = field(default_factory=list)
    kills: int = 0

    @property
    def db_path(self) -> Path:
        return self.data_dir / "server.sqlite3"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.db_path.resolve()}"

    @property
    def api(self) -> RunningServer:
        if self.running is None:
            raise RuntimeError("the server is not running")
        return self.running

    def start(self) -> RunningServer:
        """Start serving on ``self.port``; returns once /v1/health answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir / f"server-{len(self.logs)}.log"
        self.logs.append(log_path)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "server",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--database-url",
                    self.database_url,
                    "--data-dir",
                    str(self.data_dir),
                    "--admin-token",
                    self.admin_token,
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RunningServer(
            self.data_dir, self.database_url, self.admin_token, self.port, process, log_path
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.log_text()}")
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                if server.session.get(server.url("/v1/health"), timeout=5).ok:
                    break
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"server did not answer /v1/health:\n{server.log_text()}")
            time.sleep(0.05)  # readiness poll: there is nothing to wait on but the port
        self.running = server
        return server

    def kill(self) -> None:
        """SIGKILL, as a power cut or the OOM killer would end it."""
        server, self.running = self.running, None
        if server is None:
            return
        server.session.close()
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(timeout=15)
        self.kills += 1

    def stop(self) -> None:
        server, self.running = self.running, None
        if server is not None:
            server.stop()

    # -- what really got stored ---------------------------------------------------------

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)) as c:
            c.execute("PRAGMA busy_timeout=10000")
            return list(c.execute(sql, params).fetchall())

    def requests_of(self, device_id: str) -> dict[str, tuple[int, str, str]]:
        """id → (seq, tracking code, state) of every request stored for the device."""
        rows = self.rows(
            "SELECT id, seq, tracking_code, state FROM requests WHERE device_id = ?", device_id
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def stored_among(self, ids: list[str]) -> int:
        """How many of ``ids`` the server has stored (so far)."""
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        return int(self.rows(f"SELECT count(*) FROM requests WHERE id IN ({marks})", *ids)[0][0])

    def push_log(self, device_id: str) -> Tally[str]:
        """Items answered per status (and ``pushes``) for the device, from every log."""
        tally: Tally[str] = Tally()
        for path in self.logs:
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            for match in _PUSH_LINE.finditer(text):
                if match["device"] != device_id:
                    continue
                tally["pushes"] += 1
                tally["items"] += int(match["items"])
                for name, count in _COUNT.findall(match["rest"]):
                    tally[name] += int(count)
        return tally

    def log_text(self) -> str:
        return "\n".join(
            p.read_text(encoding="utf-8", errors="replace") for p in self.logs if p.exists()
        )


@contextlib.contextmanager
def central_server(data_dir: Path) -> Iterator[CentralServer]:
    server = CentralServer(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- the counter PC


@dataclass
class Counter:
    """A counter PC's data folder, opened: store, catalogue, intake, the manager clerk."""

    data_dir: Path
    store: Store
    clerk: ClerkInfo
    catalogs: CatalogStore
    intake: Intake

    @classmethod
    def create(
        cls,
        data_dir: Path,
        office_code: str = OFFICE_CODE,
        setup: Callable[[Store], None] | None = None,
    ) -> Counter:
        """A new PC set up like the wizard does it; ``setup`` runs before the demo seeding."""
        store = Store.open(data_dir)
        initialise(store, office_code=office_code, office_name=OFFICE_NAME, counter_no=1)
        if setup is not None:
            setup(store)
        catalogs = CatalogStore(store)
        catalogs.ensure_seeded()
        clerk = ClerkDirectory(store).create_manager(CLERK, "مدیر دفتر", CLERK_PASSWORD)
        return cls(data_dir, store, clerk, catalogs, Intake(store, catalogs))

    @classmethod
    def open(cls, data_dir: Path) -> Counter:
        store = Store.open(data_dir)
        clerk = next(c for c in ClerkDirectory(store).list() if c.username == CLERK)
        catalogs = CatalogStore(store)
        return cls(data_dir, store, clerk, catalogs, Intake(store, catalogs))

    @classmethod
    def copy_of(cls, template: Path, target: Path) -> Counter:
        """A byte copy of a closed counter folder (filled once: saving costs an fsync each)."""
        shutil.copytree(template, target)
        return cls.open(target)

    def close(self) -> None:
        self.store.close()

    @property
    def device(self) -> DeviceInfo:
        info = this_device(self.store)
        assert info is not None
        return info

    def save(
        self, n: int, rng: random.Random, services: list[str] | None = None
    ) -> list[SavedRequest]:
        """``n`` valid requests through the real intake, round-robin over the services."""
        catalog = self.catalogs.current()
        codes = services or [s.code for s in catalog.active_services()]
        return [
            self.intake.save(self.clerk, sample_draft(catalog.service(codes[i % len(codes)]), rng))
            for i in range(n)
        ]

    def enrol(self, server: CentralServer, url: str) -> None:
        """Enrol through ``url`` (the proxy's), exactly as ``python -m desktop enrol`` does."""
        code = server.api.enrolment_code(self.device.office_code)
        enrol_device(self.store, self.data_dir, server_url=url, code=code)

    def token(self) -> str | None:
        return credential_store(self.data_dir, self.device.id).get()

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(self.store.raw_read()) as conn:
            return list(conn.execute(sql, params).fetchall())

    def requests(self) -> dict[str, tuple[str, str | None, str | None, str | None]]:
        """id → (state, tracking code, reason fa, reason en) of every local request."""
        rows = self.rows("SELECT id, state, tracking_code, reason_fa, reason_en FROM requests")
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    def outbox(self) -> dict[str, int]:
        return outbox_phases(self.rows)

    def sending(self) -> int:
        return len(self.sending_ids())

    def sending_ids(self) -> list[str]:
        """The requests handed to a push that has not been answered (or was cut off)."""
        return [r[0] for r in self.rows("SELECT id FROM requests WHERE state = 'sending'")]


# --------------------------------------------------------------------------- syncing


@dataclass(frozen=True)
class ClientTuning:
    """The sync client's patience. Tests shorten it so a hung link costs seconds, not minutes."""

    connect_timeout: float = 2.0
    read_timeout_base: float = 3.0
    worst_rate_bytes: float = 250_000
    batch_size: int = 50
    batch_ceiling: int = 100  # more turns per 1,000 requests: more chances for each fault
    backoff_cap: float = 0.2  # production: 15 minutes


def fast_backoff(cap: float = 0.2, seed: int = 0) -> Backoff:
    """Immediate-ish retries: full jitter up to ``cap`` seconds (production: 15 minutes)."""
    return Backoff(base=min(0.02, cap), cap=cap, floor=0.0, rng=random.Random(seed))


@dataclass
class EventLog:
    """What the engine told us, counted; other observers can be chained behind it."""

    events: list[SyncEvent] = field(default_factory=list)
    observers: list[Callable[[SyncEvent], None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: SyncEvent) -> None:
        with self.lock:
            self.events.append(event)
        for observer in self.observers:
            observer(event)

    def of(self, kind: type[SyncEvent]) -> list[Any]:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]

    def summary(self) -> dict[str, Any]:
        answered = self.of(BatchAnswered)
        return {
            "batches_sent": len(self.of(BatchSending)),
            "batches_answered": len(answered),
            "duplicates_heard": sum(e.duplicate for e in answered),
            "reclaimed": sum(e.reclaimed for e in self.of(RoundStarted)),
            "failures": dict(Tally(e.code for e in self.of(RoundFailed))),
        }


def make_engine(
    counter: Counter, tuning: ClientTuning, events: EventLog, *, seed: int = 0
) -> SyncEngine:
    """The real engine over the counter's store, talking to the enrolled (proxy) URL."""
    device = counter.device
    assert device.server_url, "enrol the counter first"
    client = SyncClient(
        device.server_url,
        credential_store(counter.data_dir, device.id).get,
        device_id=device.id,
        app_version=__version__,
        connect_timeout=tuning.connect_timeout,
        read_timeout_base=tuning.read_timeout_base,
        worst_rate_bytes=tuning.worst_rate_bytes,
    )
    policy = BatchPolicy(size=tuning.batch_size, ceiling=tuning.batch_ceiling)
    return SyncEngine(
        StoreQueue(counter.store),
        client,
        backoff=fast_backoff(tuning.backoff_cap, seed),
        batch_policy=policy,
        on_event=events,
        app_version=__version__,
    )


@dataclass
class SyncRun:
    rounds: int = 0
    failed_rounds: int = 0
    seconds: float = 0.0
    last: RoundResult | None = None


def settle(
    engine: SyncEngine,
    *,
    max_rounds: int = 400,
    max_seconds: float = 180.0,
    describe: Callable[[], str] = lambda: "",
) -> SyncRun:
    """Rounds until one ends cleanly with nothing waiting; AssertionError past the bounds.

    Between rounds the engine's own backoff is waited out (fast in tests); a round that
    hangs is bounded by the client's timeouts, so this always returns or fails by itself.
    """
    run = SyncRun()
    t0 = time.monotonic()
    while True:
        elapsed = time.monotonic() - t0
        if run.rounds >= max_rounds or elapsed > max_seconds:
            last = run.last
            raise AssertionError(
                f"sync did not settle: {run.rounds} rounds ({run.failed_rounds} failed) in "
                f"{elapsed:.1f} s; waiting {last.waiting if last else '?'}, attention "
                f"{last.attention if last else '?'}, last error "
                f"{last.error if last else None}; {describe()}"
            )
        wait = engine.seconds_until_due()
        if wait > 0:
            time.sleep(min(wait, max(0.0, max_seconds - elapsed)))  # the engine's backoff
        result = engine.run_round()
        run.rounds += 1
        run.last = result
        if result.error is not None:
            run.failed_rounds += 1
        if result.ok and result.waiting == 0:
            run.seconds = round(time.monotonic() - t0, 2)
            return run


# --------------------------------------------------------------------------- the promise


@dataclass
class Outcome:
    """What a scenario ended with, for its assertions and the report."""

    stored: int
    accepted_answers: int
    duplicate_answers: int
    pushes: int
    attention: dict[str, tuple[str | None, str | None]]

    def line(self) -> str:
        return (
            f"stored={self.stored} accepted_answers={self.accepted_answers} "
            f"duplicate_answers={self.duplicate_answers} pushes={self.pushes} "
            f"attention={len(self.attention)}"
        )


def check_exactly_once(
    counter: Counter,
    server: CentralServer,
    *,
    expected: int,
    attention: int = 0,
    decided: int = 0,
    log_complete: bool = True,
) -> Outcome:
    """Exactly ``expected`` requests stored once, each accepted here with the server's code.

    ``attention``: requests the server refused (set aside here, stored nowhere).
    ``decided``: requests the back office has moved on from "accepted" (here as there).
    ``log_complete``: every push the server committed was logged (false when the server was
    killed: a batch may be committed and the process killed before its log line).
    """
    device_id = counter.device.id
    stored = server.requests_of(device_id)
    local = counter.requests()
    set_aside = {i: (r[2], r[3]) for i, r in local.items() if r[0] == "needs_attention"}
    assert len(local) == expected + attention, f"{len(local)} local requests"
    assert len(set_aside) == attention, f"needs attention: {set_aside}"
    assert len(stored) == expected, (
        f"{len(stored)} requests stored on the server for {expected} accepted here"
    )
    dup_seqs = server.rows(
        "SELECT seq, count(*) FROM requests WHERE device_id = ? GROUP BY seq HAVING count(*) > 1",
        device_id,
    )
    assert dup_seqs == [], f"(device, seq) stored twice: {dup_seqs}"
    total = server.rows(
        "SELECT count(*), count(DISTINCT id), count(DISTINCT tracking_code) "
        "FROM requests WHERE device_id = ?",
        device_id,
    )[0]
    assert total == (expected, expected, expected), total
    assert not set(set_aside) & set(stored), "a request set aside here is stored on the server"
    # Same state as on the server, and the server's own tracking code.
    wrong = {
        i: (r[0], r[1], stored.get(i))
        for i, r in local.items()
        if i not in set_aside and (i not in stored or (r[0], r[1]) != (stored[i][2], stored[i][1]))
    }
    assert not wrong, (
        f"{len(wrong)} local requests differ from the server, e.g. {list(wrong.items())[:3]}"
    )
    accepted_here = sum(1 for r in local.values() if r[0] == "accepted")
    assert accepted_here == expected - decided, f"{accepted_here} accepted here"
    outbox = counter.outbox()
    assert outbox == {k: v for k, v in (("done", expected), ("attention", attention)) if v}, outbox
    log = server.push_log(device_id)
    if log_complete:
        # Each request was *inserted* once: the server answered "accepted" exactly once per
        # request; every other answer for it was "duplicate".
        assert log["accepted"] == expected, f"server log: {dict(log)}"
    else:
        assert log["accepted"] <= expected, f"server log: {dict(log)}"
    assert log["conflict"] == 0, f"server log: {dict(log)}"
    assert log["rejected"] == attention, f"server log: {dict(log)}"
    return Outcome(
        stored=len(stored),
        accepted_answers=log["accepted"],
        duplicate_answers=log["duplicate"],
        pushes=log["pushes"],
        attention=set_aside,
    )


def describe_link(proxy: FaultProxy) -> str:
    return f"proxy {proxy.stats()}"
