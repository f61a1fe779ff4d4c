"""Benchmark 5: server ingest with 50 PCs pushing at once, on SQLite and on PostgreSQL.

The real server (``python -m server serve``, one process, as shipped) on a fresh database;
50 offices with one enrolled PC each. Every PC has its backlog of realistic requests
ready as gzip push bodies of ``BATCH`` items (built before the clock starts, so the load
generator costs the server's 2 cores as little as possible), and 50 threads push them as
fast as the server answers, each on its own keep-alive connection.

Figures: requests accepted per second (all accepted ÷ wall time from the first push to
the last answer), push latency p50/p99, and CPU seconds used per 1,000 requests by the
server process, by PostgreSQL's processes and by the load generator. Baselines, same run:
- empty pushes by the same 50 PCs: the fixed cost of one push (HTTP, token look-up, the
  device lock, a transaction) with no items: the ceiling of pushes per second;
- the server's per-item checks (``server.items.prepare``: decode and bounds, canonical
  JSON, hash, the counter's form validation) timed in this process on the same items: the ceiling of
  requests per second of one core doing nothing else.

Then the push path alone in this process, with and without what the console adds to it
(``bench/push_path.py``).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import push_path
from bench.common import (
    BenchResult,
    RunOptions,
    at_least,
    percentile,
)
from bench.items import ItemFactory, demo_catalog, push_body
from bench.profiling import Profile, start_recording
from sync.protocol import STATUS_LETTERS

NAME = "ingest"
TITLE = "Server ingest: many PCs pushing at once (SQLite, PostgreSQL)"
BATCH = 100
MAX_ATTEMPTS = 20
HEADERS = {"Content-Type": "application/json; charset=utf-8", "Content-Encoding": "gzip"}


@dataclass
class Device:
    device_id: str
    token: str
    office_code: str
    bodies: list[bytes] = field(default_factory=list)
    items: int = 0

    def headers(self) -> dict[str, str]:
        return {**HEADERS, "Authorization": f"Bearer {self.token}"}


@dataclass
class Fire:
    wall: float
    latencies: list[float]
    statuses: Counter[str]
    errors: list[str]
    server_cpu: float
    pg_cpu: float | None
    client_cpu: float
    other_cpu: float = 0.0  # the rest of the machine's busy CPU during the run

    @property
    def accepted(self) -> int:
        return self.statuses["accepted"]


def _statuses(answer: dict[str, Any]) -> list[str]:
    """Each item's status, from a compact answer (revision 2) or a full one."""
    if "statuses" in answer:
        names = {letter: str(status) for status, letter in STATUS_LETTERS.items()}
        return [names[letter] for letter in answer["statuses"]]
    return [str(result["status"]) for result in answer["results"]]


def _proc_cpu(pid: int, children: bool = True) -> float:
    """CPU seconds of a process and (``children``) of its child processes, recursively:
    the server and its workers (``serve --workers``)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split() if children else []
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_proc_cpu(int(child)) for child in kids)


class PostgresCpu:
    """CPU seconds of the PostgreSQL backends serving one server (by its application_name).

    Other work on this machine uses the same PostgreSQL; only this server's connections
    count. Backends come and go (the pool's overflow), so they are sampled every 0.2 s.
    """

    def __init__(self, database_url: str) -> None:
        from sqlalchemy import create_engine, pool
        from sqlalchemy.engine import make_url

        url = make_url(database_url)
        self.app = url.query.get("application_name")
        self.engine = create_engine(url, poolclass=pool.NullPool)
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self, initial: bool) -> None:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            pids = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE application_name = :app"),
                {"app": self.app},
            ).scalars()
            for pid in pids:
                cpu = _proc_cpu(int(pid), children=False)
                self.first.setdefault(pid, cpu if initial else 0.0)
                self.last[pid] = cpu

    def start(self) -> None:
        self._sample(initial=True)

        def loop() -> None:
            while not self._stop.wait(0.2):
                self._sample(initial=False)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample(initial=False)
        self.engine.dispose()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system


def _machine_busy() -> float:
    """CPU seconds the whole machine has spent busy (all cores, from /proc/stat): with the
    server's, PostgreSQL's and the load generator's own, what is left is other work on the
    machine during the run, which the 2 cores share (a noisy neighbour reads as a slow
    server)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def fire(url: str, devices: list[Device], *, pg_url: str | None, server_pid: int) -> Fire:
    """Every device pushes its bodies in order, all devices at once; timed from a barrier."""
    barrier = threading.Barrier(len(devices) + 1)
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    errors: list[str] = []
    lock = threading.Lock()

    def pc(device: Device) -> None:
        session = requests.Session()
        headers = device.headers()
        mine: list[float] = []
        counts: Counter[str] = Counter()
        try:
            session.get(url + "/v1/health", timeout=60)  # the connection is open before the start
            barrier.wait()
            for body in device.bodies:
                for _attempt in range(MAX_ATTEMPTS):
                    t0 = time.perf_counter()
                    r = session.post(url + "/v1/push", data=body, headers=headers, timeout=300)
                    mine.append(time.perf_counter() - t0)
                    if r.status_code in (429, 503):  # busy: the client backs off, then resends
                        counts[f"http {r.status_code}"] += 1
                        time.sleep(min(float(r.headers.get("Retry-After") or 1), 2.0))
                        continue
                    if r.status_code != 200:
                        with lock:
                            errors.append(f"{r.status_code} {r.text[:200]}")
                    else:
                        counts.update(_statuses(r.json()))
                    break
        except Exception as exc:
            with lock:
                errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            session.close()
            with lock:
                latencies.extend(mine)
                statuses.update(counts)

    threads = [threading.Thread(target=pc, args=(d,), daemon=True) for d in devices]
    for t in threads:
        t.start()
    pg_cpu = PostgresCpu(pg_url) if pg_url else None
    if pg_cpu is not None:
        pg_cpu.start()
    barrier.wait()
    cpu0 = (_proc_cpu(server_pid), _own_cpu(), _machine_busy())
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    cpu1 = (_proc_cpu(server_pid), _own_cpu(), _machine_busy())
    pg_seconds = pg_cpu.stop() if pg_cpu is not None else None
    ours = (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1]) + (pg_seconds or 0.0)
    return Fire(
        wall,
        latencies,
        statuses,
        errors,
        cpu1[0] - cpu0[0],
        pg_seconds,
        cpu1[1] - cpu0[1],
        max(0.0, (cpu1[2] - cpu0[2]) - ours),
    )


# Server processes (``serve --workers``): one, and one per core (a push is CPU-bound
# Python: one process uses one core). The goal is read on one per core, as deployed here.
CORES = os.cpu_count() or 1


@contextlib.contextmanager
def _server(opts: RunOptions, key: str, pg_url: str | None, workers: int) -> Iterator[object]:
    from tests.support.server import postgres_schema_url, start_server

    data_dir = opts.work_dir / f"ingest-{key}"
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_schema_url(pg_url)) if pg_url else None
        server = stack.enter_context(
            start_server(data_dir, database_url=url, extra_args=("--workers", str(workers)))
        )
        yield server


def _enrol(server: object, n: int) -> list[Device]:
    out = []
    for i in range(n):
        code = str(7000 + i)
        server.add_office(code, f"دفتر {i + 1}")  # type: ignore[attr-defined]
        enrolled = server.enrol(code, counter_no=1)  # type: ignore[attr-defined]
        out.append(Device(enrolled.device_id, enrolled.token, code))
    return out


def _load(
    factory: ItemFactory, devices: list[Device], per_pc: int, batch: int, first_seq: int
) -> None:
    for d in devices:
        items = factory.items(d.office_code, 1, per_pc, first_seq=first_seq)
        d.bodies = [
            push_body(d.device_id, items[i : i + batch]) for i in range(0, len(items), batch)
        ]
        d.items = len(items)


def _prepare_ceiling(factory: ItemFactory, n: int) -> float:
    """Requests per second of ``server.items.prepare`` alone, in this process (one core)."""
    import msgspec

    from server.items import prepare
    from server.offices import AuthDevice
    from sync.protocol import encode

    device = AuthDevice(id="bench", office_id=1, office_code="7000", counter_no=1)
    items = factory.items("7000", 1, n)
    raw = [msgspec.Raw(encode(item)) for item in items]  # as the push envelope keeps them
    catalogs = {1: demo_catalog()}
    t0 = time.perf_counter()
    for item in raw:
        p = prepare(item, device, catalogs)
        assert p.reasons is None and p.form_reasons is None, (p.reasons, p.form_reasons)
    return n / (time.perf_counter() - t0)


def _one_backend(
    res: BenchResult,
    opts: RunOptions,
    backend: str,
    pg_url: str | None,
    workers: int,
    factory: ItemFactory,
    pcs: int,
    per_pc: int,
    batch: int,
) -> None:
    label = f"{backend} ×{workers} process{'es' if workers > 1 else ''}"
    with _server(opts, f"{backend.lower()}-{workers}", pg_url, workers) as server:
        url = server.base_url  # type: ignore[attr-defined]
        pid = server.process.pid  # type: ignore[attr-defined]
        devices = _enrol(server, pcs)
        pg = pg_url is not None
        db_url = server.database_url if pg else None  # type: ignore[attr-defined]

        for d in devices:  # baseline: empty pushes, the fixed cost of a push
            d.bodies = [push_body(d.device_id, [])] * max(2, per_pc // batch)
        empty = fire(url, devices, pg_url=db_url, server_pid=pid)

        _load(factory, devices, per_pc, batch, first_seq=1)
        total = sum(d.items for d in devices)
        main = fire(url, devices, pg_url=db_url, server_pid=pid)

        rate = main.accepted / main.wall
        empty_rate = len(empty.latencies) / empty.wall
        goal = at_least(2000, "≥ 2,000 /s") if pg and workers == CORES else None
        res.add(f"{label}: requests accepted per second", rate, "/s", goal, digits=0)
        res.add(
            f"{label}: push latency p50 ({batch} items)",
            percentile(main.latencies, 50) * 1000,
            "ms",
            digits=0,
        )
        res.add(
            f"{label}: push latency p99 ({batch} items)",
            percentile(main.latencies, 99) * 1000,
            "ms",
            digits=0,
        )
        res.add(f"{label}: baseline empty pushes per second", empty_rate, "/s", digits=0)
        res.add(
            f"{label}: empty push latency p99",
            percentile(empty.latencies, 99) * 1000,
            "ms",
            digits=0,
        )
        per_k = 1000 / max(1, main.accepted)
        res.add(f"{label}: server CPU per 1,000 requests", main.server_cpu * per_k, "s", digits=2)
        if main.pg_cpu is not None:
            res.add(
                f"{label}: PostgreSQL CPU per 1,000 requests", main.pg_cpu * per_k, "s", digits=2
            )
        res.add(
            f"{label}: load generator CPU per 1,000 requests",
            main.client_cpu * per_k,
            "s",
            digits=2,
        )
        busy = sum(v for k, v in main.statuses.items() if k.startswith("http"))
        res.add(f"{label}: pushes answered 429/503 (busy), resent", busy, "", digits=0)
        others = {k: v for k, v in main.statuses.items() if k != "accepted"}
        res.notes.append(
            f"{label}: {main.accepted:,} of {total:,} accepted in {main.wall:.1f} s "
            f"({len(main.latencies)} pushes){'; other answers ' + str(others) if others else ''}"
            f"{'; errors: ' + '; '.join(main.errors[:3]) if main.errors else ''}; server CPU "
            f"{main.server_cpu / main.wall:.0%} of one core, "
            + (f"PostgreSQL {main.pg_cpu / main.wall:.0%}, " if main.pg_cpu is not None else "")
            + f"load generator {main.client_cpu / main.wall:.0%}, other work on the machine "
            f"{main.other_cpu / main.wall:.0%} ({CORES} cores = {CORES:.0%})"
        )
        if main.accepted != total or main.errors:
            raise RuntimeError(
                f"{label}: only {main.accepted} of {total} accepted; "
                f"{dict(main.statuses)} {main.errors[:3]}"
            )

        if goal is not None and not goal.met(rate) and opts.profile:
            _load(factory, devices, per_pc, batch, first_seq=per_pc + 1)
            rec = start_recording(pid, max(3.0, main.wall * 0.8), subprocesses=workers > 1)
            fire(url, devices, pg_url=db_url, server_pid=pid)
            profile = rec.finish() if rec else Profile(0, [], [], note="py-spy not installed")
            res.profile = profile.text(
                f"server processes during a second {label} run (non-idle samples, all threads)"
            )
            res.limits.extend(
                _explain(
                    label,
                    workers,
                    main,
                    rate,
                    empty_rate,
                    batch,
                    res.params.get("prepare ceiling", 0.0),
                )
            )


def _explain(
    label: str,
    workers: int,
    main: Fire,
    rate: float,
    empty_rate: float,
    batch: int,
    prepare_rate: float,
) -> list[str]:
    cores_used = main.server_cpu / main.wall
    per_request_us = main.server_cpu / max(1, main.accepted) * 1e6
    pg = f", PostgreSQL {main.pg_cpu / main.wall:.2f}" if main.pg_cpu is not None else ""
    return [
        f"{label}: CPU is the limit: the server's {workers} process(es) used {cores_used:.2f} "
        f"of the {CORES} cores during the run{pg}, the load generator "
        f"{main.client_cpu / main.wall:.2f}, other work on the machine "
        f"{main.other_cpu / main.wall:.2f}; {per_request_us:,.0f} µs of server CPU per "
        f"request means at most {1e6 / per_request_us * CORES:,.0f} requests/s if the "
        f"server had every core to itself",
        f"of that, the per-request checks alone (server push preparation: parse, canonical "
        f"JSON, hash, the counter's form validation) cost {1e6 / prepare_rate:,.0f} µs "
        f"({prepare_rate:,.0f} /s on one core, measured in this process)",
        f"a push has a fixed cost too: {empty_rate:,.0f} empty pushes/s at most, i.e. "
        f"{empty_rate * batch:,.0f} requests/s in batches of {batch} if items were free",
    ]


def run(opts: RunOptions) -> BenchResult:
    res = BenchResult(NAME, TITLE)
    pcs = opts.size(50, 5)
    per_pc = opts.size(600, 20)
    batch = opts.size(BATCH, 10)
    factory = ItemFactory(variants=opts.size(2000, 100), seed=55)
    prepare_rate = _prepare_ceiling(factory, opts.size(3000, 100))
    res.params = {
        "PCs": pcs,
        "requests per PC": per_pc,
        "items per push": batch,
        "server": f"python -m server serve --workers 1 and --workers {CORES}",
        "prepare ceiling": prepare_rate,
    }
    res.add("baseline: server per-item checks alone, one core", prepare_rate, "/s", digits=0)
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if opts.pg_url:
        backends.append(("PostgreSQL", opts.pg_url))
    for backend, url in backends:
        for workers in sorted({1, CORES}):
            _one_backend(res, opts, backend, url, workers, factory, pcs, per_pc, batch)
    res.params["prepare ceiling"] = f"{prepare_rate:,.0f} /s"
    push_path.measure(res, opts)  # the console's cost to a push, in this process
    if not opts.pg_url:
        res.notes.append(
            "PostgreSQL not measured: PISHKHAN_TEST_PG_URL is not set "
            '(eval "$(bash .ci/postgres.sh | tail -1)")'
        )
    return res
