"""Benchmark: server nodes behind HAProxy over one PostgreSQL, and ingest while 1,000
hostile connections are held open.

1. Ingest through the balancer (tests/multinode/haproxy.cfg, as deployed): 50 PCs
   pushing at once, as ``bench ingest`` does, against one node and then two nodes (each
   ``serve --workers 1``, a data folder of its own, one PostgreSQL schema). The one-node
   run is the baseline, same run, same balancer (the node is listed twice, so HAProxy
   does the same work). On this 2-core machine two nodes can at best use the second
   core; on separate machines the nodes' CPU adds up and PostgreSQL is what is shared.
2. Load: the same 50 PCs pushing to one node directly, clean (the baseline) and while
   1,000 other connections are held open: half idle (connected, nothing sent), half
   trickling a request head one byte a second. The node closes them at its idle and
   header time-outs (server/http_guard.py); the holder opens a new one for each closed,
   so 1,000 stay open. Figure: throughput against the clean run, and how many the node
   closed.
"""

from __future__ import annotations

import contextlib
import selectors
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from bench.common import BenchResult, RunOptions, Skip, at_least, percentile, ratio
from bench.ingest import Device, Fire, _enrol, _load, fire
from bench.items import ItemFactory

NAME = "multinode"
TITLE = "Two server nodes behind HAProxy; ingest beside 1,000 held connections"
BATCH = 100
_TRICKLE = b"POST /v1/push HTTP/1.1\r\nHost: pishkhan\r\nX-Slow: " + b"a" * 4000


@contextlib.contextmanager
def _nodes(opts: RunOptions, key: str, pg_url: str, count: int) -> Iterator[list[object]]:
    from tests.support.server import postgres_schema_url, start_server

    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_schema_url(pg_url))
        yield [
            stack.enter_context(start_server(opts.work_dir / f"{key}-node{n}", database_url=url))
            for n in range(count)
        ]


@contextlib.contextmanager
def _balanced(opts: RunOptions, nodes: list[object]) -> Iterator[str]:
    import requests

    from tests.support.balancer import start_haproxy
    from tests.support.e2e import free_port

    port = free_port()
    listed = [nodes[0], nodes[-1]]  # one node: listed twice
    work = opts.work_dir / f"haproxy-{port}"
    work.mkdir(parents=True, exist_ok=True)
    with start_haproxy(work, port, listed):  # type: ignore[arg-type]
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        ok = 0
        while ok < 4:  # both server lines have passed their health check
            with contextlib.suppress(requests.RequestException):
                ok = ok + 1 if requests.get(url + "/v1/health", timeout=5).ok else 0
            if time.monotonic() > deadline:
                raise RuntimeError("HAProxy never answered")
            time.sleep(0.05)  # polling for readiness: nothing to wait on but the port
        yield url


class Holder:
    """Keeps ``idle`` silent and ``trickling`` slow connections open to ``port``, opening a
    new one for each the server closes (one thread, a selector)."""

    def __init__(self, port: int, idle: int, trickling: int) -> None:
        self.port = port
        self.want = {"idle": idle, "trickle": trickling}
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._sel = selectors.DefaultSelector()
        self._sent: dict[socket.socket, int] = {}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _open(self, kind: str) -> None:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.setblocking(False)
        self._sel.register(sock, selectors.EVENT_READ, kind)
        self._sent[sock] = 0

    def open_count(self) -> int:
        return len(self._sent)

    def start(self) -> None:
        for kind, n in self.want.items():
            for _ in range(n):
                self._open(kind)
        self._thread.start()

    def _run(self) -> None:
        next_trickle = time.monotonic()
        while not self._stop.is_set():
            for key, _ in self._sel.select(timeout=0.2):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    data = b""
                if not data:  # closed (or answered 408 and closed) by the server
                    self._sel.unregister(sock)
                    del self._sent[sock]
                    sock.close()
                    self.closed_by_server += 1
                    self._open(str(key.data))
            if time.monotonic() >= next_trickle:
                next_trickle += 1.0
                for key in list(self._sel.get_map().values()):
                    if key.data != "trickle":
                        continue
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    at = self._sent[sock]
                    with contextlib.suppress(OSError):
                        sock.send(_TRICKLE[at : at + 1])
                        self._sent[sock] = min(at + 1, len(_TRICKLE) - 1)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        for sock in list(self._sent):
            sock.close()
        self._sel.close()


def _pid(node: object) -> int:
    return int(node.process.pid)  # type: ignore[attr-defined]


def _add_run(res: BenchResult, label: str, run: Fire, total: int) -> float:
    if run.accepted != total or run.errors:
        raise RuntimeError(f"{label}: {run.accepted} of {total} accepted; {run.errors[:3]}")
    rate = run.accepted / run.wall
    res.add(f"{label}: requests accepted per second", rate, "/s", digits=0)
    res.add(f"{label}: push latency p99", percentile(run.latencies, 99) * 1000, "ms", digits=0)
    return rate


def _ingest(
    opts: RunOptions,
    key: str,
    pg_url: str,
    count: int,
    factory: ItemFactory,
    sizes: tuple[int, int],
) -> tuple[Fire, int]:
    pcs, per_pc = sizes
    with _nodes(opts, key, pg_url, count) as nodes, _balanced(opts, nodes) as url:
        devices: list[Device] = _enrol(nodes[0], pcs)
        _load(factory, devices, per_pc, BATCH, first_seq=1)
        run = fire(url, devices, pg_url=None, server_pid=_pid(nodes[0]))
    return run, sum(d.items for d in devices)


def run(opts: RunOptions) -> BenchResult:
    if not opts.pg_url:
        raise Skip("needs PostgreSQL: set PISHKHAN_TEST_PG_URL")
    if not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists()):
        raise Skip("needs haproxy (apt-get install haproxy)")
    res = BenchResult(NAME, TITLE)
    pcs, per_pc = opts.size(50, 5), opts.size(400, 20)
    held = opts.size(1000, 40)
    factory = ItemFactory(variants=opts.size(2000, 100), seed=56)
    res.params = {
        "PCs": pcs,
        "requests per PC": per_pc,
        "items per push": BATCH,
        "nodes": "python -m server serve --workers 1 each, PostgreSQL",
        "held connections": f"{held // 2} idle + {held - held // 2} trickling a head",
    }

    one, total = _ingest(opts, "one", opts.pg_url, 1, factory, (pcs, per_pc))
    rate_one = _add_run(res, "behind HAProxy, 1 node (baseline)", one, total)
    two, total = _ingest(opts, "two", opts.pg_url, 2, factory, (pcs, per_pc))
    rate_two = _add_run(res, "behind HAProxy, 2 nodes", two, total)
    res.add("2 nodes against 1", ratio(rate_two, rate_one), "×", at_least(1.0, "≥ 1×"))

    with _nodes(opts, "held", opts.pg_url, 1) as nodes:
        node = nodes[0]
        url = node.base_url  # type: ignore[attr-defined]
        devices = _enrol(node, pcs)
        _load(factory, devices, per_pc, BATCH, first_seq=1)
        clean = fire(url, devices, pg_url=None, server_pid=_pid(node))
        rate_clean = _add_run(res, "1 node direct, clean (baseline)", clean, total)
        holder = Holder(node.port, held // 2, held - held // 2)  # type: ignore[attr-defined]
        holder.start()
        try:
            _load(factory, devices, per_pc, BATCH, first_seq=per_pc + 1)
            loaded = fire(url, devices, pg_url=None, server_pid=_pid(node))
            still_open = holder.open_count()
        finally:
            holder.stop()
        rate_held = _add_run(res, f"1 node direct, {held:,} connections held", loaded, total)
        res.add(
            f"with {held:,} held against clean",
            ratio(rate_held, rate_clean),
            "×",
            at_least(0.8, "≥ 0.8×"),
        )
        res.add("held connections open at the end", still_open, "", digits=0)
        res.add(
            "held connections the node closed (reopened)", holder.closed_by_server, "", digits=0
        )
        res.notes.append(
            f"held-connection run took {loaded.wall:.1f} s; the node's header time-out "
            "(20 s) closes a trickling head, its idle time-out (60 s) a silent connection"
        )
    return res
