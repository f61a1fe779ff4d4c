"""Benchmark: /v1/health latency while each kind of hostile request is in flight (issue 10:
"health answers within 100 ms while hostile requests of every kind are in flight").

The real server (``serve``, one process) on SQLite, and on PostgreSQL when
PISHKHAN_TEST_PG_URL is set. For each kind of tests/support/hostile.py (gzip members and
an inflating array, each with and without a device token; a body that stops; a header
that never ends), and then all of them at once, the kind is started, seen under way, and
health asked 40 times on a keep-alive connection. Baseline, same run and server: health
with nothing hostile in flight.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from bench.common import BenchResult, RunOptions, below, percentile

NAME = "hostile"
TITLE = "Health latency while hostile requests are in flight (SQLite, PostgreSQL)"


@contextlib.contextmanager
def _server(opts: RunOptions, key: str, pg_url: str | None) -> Iterator[object]:
    from tests.support.server import postgres_schema_url, start_server

    # As shipped, except many failed tokens are allowed (the senders without a token
    # would otherwise be answered 429 at once, which is cheaper than what is measured).
    args = ("--auth-failures-burst", "1000000")
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


def _under(server: object, token: str, kinds: tuple[str, ...], calls: int) -> list[float]:
    from tests.support.hostile import hostile_requests
    from tests.support.waiting import wait_until

    stop = threading.Event()
    attempts: dict[str, int] = {}
    threads = hostile_requests(server, token, stop, attempts, only=kinds)  # type: ignore[arg-type]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: all(attempts.values()), 60, what=f"hostile senders: {attempts}")
        return _health(server, calls)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)


def run(opts: RunOptions) -> BenchResult:
    from tests.support.hostile import HOSTILE_KINDS

    res = BenchResult(NAME, TITLE)
    calls = opts.size(40, 5)
    res.params = {"health calls per kind": calls, "server": "python -m server serve"}
    backends: list[tuple[str, str | None]] = [("SQLite", None)]
    if opts.pg_url:
        backends.append(("PostgreSQL", opts.pg_url))
    for label, url in backends:
        with _server(opts, label.lower(), url) as server:
            token = server.enrol(server.add_office().code).token  # type: ignore[attr-defined]
            base = _health(server, calls)
            res.add(
                f"{label}: health p50, nothing hostile (baseline)",
                1000 * percentile(base, 50),
                "ms",
            )
            cases = [(kind, (kind,)) for kind in HOSTILE_KINDS] + [("all at once", HOSTILE_KINDS)]
            for name, kinds in cases:
                lat = _under(server, token, kinds, calls)
                goal = below(100, "< 100 ms") if name == "all at once" else None
                res.add(f"{label}: health p50, {name}", 1000 * percentile(lat, 50), "ms", goal)
                res.add(f"{label}: health max, {name}", 1000 * max(lat), "ms")
            log = server.log_text()  # type: ignore[attr-defined]
            res.notes.append(
                f"{label}: unhandled errors in the log: {log.count('unhandled error')}"
            )
    return res
