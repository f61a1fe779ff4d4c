"""Benchmark: /v1/health latency while each kind of hostile request is in flight (issue 10:
"health answers within 100 ms while hostile requests of every kind are in flight").

The real server (``serve``, one process) on SQLite, and on PostgreSQL when
PISHKHAN_TEST_PG_URL is set. For each kind of tests/support/hostile.py (gzip members and
an inflating array, each with and without a device token; a body that stops; a header
that never ends), and then all of them at once, the kind is started, seen under way, and
health asked on a keep-alive connection (p50, p99 and worst). Baseline, same run and
server: health with nothing hostile in flight. Then, same run, a server with the body limits
of before (8 MiB sent, 32 MiB inflated), and one as shipped with its failed-authentication
throttle on (the others allow any number of failures): baseline and every kind at once.

The hostile senders run in a process of their own (``python -m bench.hostile PORT TOKEN
MAX_BODY_BYTES KIND...``): in this process their threads would take turns at this process's GIL with
the thread that times health, and the figure would count the client's wait as the
server's.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bench.common import ROOT, BenchResult, RunOptions, below, percentile

NAME = "hostile"
TITLE = "Health latency while hostile requests are in flight (SQLite, PostgreSQL)"
READY = "senders under way"


# The body limits before issue 10's last piece (sent, inflated): the same run measures
# the server with them, every kind at once, against the limits as shipped now.
OLD_LIMITS = (8 * 1024 * 1024, 32 * 1024 * 1024)


@contextlib.contextmanager
def _server(
    opts: RunOptions,
    key: str,
    pg_url: str | None,
    limits: tuple[int, int] | None = None,
    *,
    throttled: bool = False,
) -> Iterator[object]:
    from tests.support.server import postgres_schema_url, start_server

    # As shipped, except many failed tokens are allowed (the senders without a token
    # would otherwise be answered 429 at once, which is cheaper than what is measured);
    # ``throttled``: as shipped, throttle and all.
    args: tuple[str, ...] = () if throttled else ("--auth-failures-burst", "1000000")
    if limits is not None:
        args += ("--max-body-bytes", str(limits[0]), "--max-inflated-bytes", str(limits[1]))
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_schema_url(pg_url)) if pg_url else None
        yield stack.enter_context(
            start_server(opts.work_dir / f"hostile-{key}", database_url=url, extra_args=args)
        )


def _health(server: object, calls: int) -> list[float]:
    import requests

    url = server.url("/v1/health")  # type: ignore[attr-defined]
    out = []
    with requests.Session() as session:
        session.get(url, timeout=60)
        for _ in range(calls):
            t0 = time.perf_counter()
            assert session.get(url, timeout=60).status_code == 200
            out.append(time.perf_counter() - t0)
            time.sleep(0.02)  # a PC's pace, not a flood
    return out


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc; the server's own cost)."""
    fields = open(f"/proc/{pid}/stat", encoding="ascii").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Under:
    latencies: list[float]
    attempts: dict[str, int]
    server_cpu: float  # seconds of server CPU while health was timed

    @property
    def cpu_per_send(self) -> float:
        """Milliseconds of server CPU per hostile request: the senders send again as soon
        as they are answered, so a cheaper refusal shows as more sends, not less CPU."""
        return 1000 * self.server_cpu / max(1, sum(self.attempts.values()))


def _under(server: object, token: str, kinds: tuple[str, ...], calls: int, max_body: int) -> Under:
    port = str(server.port)  # type: ignore[attr-defined]
    senders = subprocess.Popen(
        [sys.executable, "-m", "bench.hostile", port, token, str(max_body), *kinds],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert senders.stdin is not None and senders.stdout is not None
    try:
        line = senders.stdout.readline().strip()
        if line != READY:
            raise RuntimeError(f"hostile senders did not start: {line!r}")
        pid = server.process.pid  # type: ignore[attr-defined]
        cpu0 = _cpu_seconds(pid)
        latencies = _health(server, calls)
        cpu = _cpu_seconds(pid) - cpu0
    finally:
        senders.stdin.close()  # tells the senders to stop
    out = senders.stdout.read()
    senders.wait(timeout=120)
    return Under(latencies, json.loads(out) if out.strip() else {}, cpu)


def run(opts: RunOptions) -> BenchResult:
    from sync.protocol import MAX_BODY_BYTES
    from tests.support.hostile import HOSTILE_KINDS

    res = BenchResult(NAME, TITLE)
    calls = opts.size(100, 5)
    res.params = {
        "health calls per kind": calls,
        "server": "python -m server serve",
        "senders": "a separate process, one thread per kind",
    }
    if opts.quick:
        res.notes.append("--quick: every kind at once only, no kind alone")
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if opts.pg_url:
        backends.append(("PostgreSQL", opts.pg_url))
    for label, url in backends:
        with _server(opts, label.lower(), url) as server:
            token = server.enrol(server.add_office().code).token  # type: ignore[attr-defined]
            base = _health(server, calls)
            res.add(f"{label}: health p50, nothing hostile (baseline)", _ms(base, 50), "ms")
            res.add(f"{label}: health p99, nothing hostile (baseline)", _ms(base, 99), "ms")
            # --quick: every kind at once only (each kind's sender still has to get under
            # way): one sender process instead of one a kind, each ~0.5 s to start.
            alone = [] if opts.quick else [(kind, (kind,)) for kind in HOSTILE_KINDS]
            cases = [*alone, ("all at once", HOSTILE_KINDS)]
            for name, kinds in cases:
                under = _under(server, token, kinds, calls, MAX_BODY_BYTES)
                lat = under.latencies
                goal = below(100, "< 100 ms") if name == "all at once" else None
                res.add(f"{label}: health p50, {name}", _ms(lat, 50), "ms", goal)
                res.add(f"{label}: health p99, {name}", _ms(lat, 99), "ms")
                res.add(f"{label}: health max, {name}", 1000 * max(lat), "ms", goal)
                res.add(
                    f"{label}: server CPU per hostile request, {name}", under.cpu_per_send, "ms"
                )
                res.notes.append(
                    f"{label}, {name}: hostile sends {under.attempts}; server CPU "
                    f"{under.server_cpu:.1f} s while health was timed"
                )
            log = server.log_text()  # type: ignore[attr-defined]
            res.notes.append(
                f"{label}: unhandled errors in the log: {log.count('unhandled error')}"
            )
        sent, inflated = (n >> 20 for n in OLD_LIMITS)
        old = f"{label}, limits before ({sent} MiB sent, {inflated} MiB inflated)"
        with _server(opts, f"{label.lower()}-old", url, OLD_LIMITS) as server:
            _all_at_once(res, server, old, calls, OLD_LIMITS[0])
        with _server(opts, f"{label.lower()}-shipped", url, throttled=True) as server:
            _all_at_once(res, server, f"{label}, as shipped (throttle on)", calls, MAX_BODY_BYTES)
    return res


def _all_at_once(res: BenchResult, server: object, label: str, calls: int, max_body: int) -> None:
    """Baseline and every kind at once on one more server (a variant of the main one)."""
    from tests.support.hostile import HOSTILE_KINDS

    token = server.enrol(server.add_office().code).token  # type: ignore[attr-defined]
    base = _health(server, calls)
    res.add(f"{label}: health p50, nothing hostile", _ms(base, 50), "ms")
    under = _under(server, token, HOSTILE_KINDS, calls, max_body)
    for p in (50, 99):
        res.add(f"{label}: health p{p}, all at once", _ms(under.latencies, p), "ms")
    res.add(f"{label}: health max, all at once", 1000 * max(under.latencies), "ms")
    res.add(f"{label}: server CPU per hostile request", under.cpu_per_send, "ms")
    res.notes.append(
        f"{label}, all at once: hostile sends {under.attempts}; server CPU "
        f"{under.server_cpu:.1f} s while health was timed"
    )


def _ms(values: list[float], p: float) -> float:
    return 1000 * percentile(values, p)


@dataclass(frozen=True)
class _Target:
    """What tests.support.hostile needs of a server: its port and its URLs."""

    port: int

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _senders_main(argv: list[str]) -> None:
    """``python -m bench.hostile PORT TOKEN MAX_BODY_BYTES KIND...``: send until stdin
    closes, then print the attempts of each kind as JSON."""
    from tests.support.hostile import hostile_requests
    from tests.support.waiting import wait_until

    port, token, max_body, kinds = int(argv[0]), argv[1], int(argv[2]), tuple(argv[3:])
    stop = threading.Event()
    attempts: dict[str, int] = {}
    target = _Target(port)
    threads = hostile_requests(target, token, stop, attempts, kinds, max_body)  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    wait_until(lambda: all(attempts.values()), 60, what=f"hostile senders: {attempts}")
    print(READY, flush=True)
    sys.stdin.read()
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    print(json.dumps(attempts, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    _senders_main(sys.argv[1:])
