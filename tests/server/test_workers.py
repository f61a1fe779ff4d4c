"""Several server processes on one port (``serve --workers N``): pushes are CPU-bound."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.server import (
    postgres_base_url,
    postgres_schema_url,
    sample_item,
    start_server,
)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="pre-fork workers are POSIX")


def _worker_pids(server_pid: int) -> set[int]:
    children = Path(f"/proc/{server_pid}/task/{server_pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


def test_two_workers_share_the_port_and_stop_together(tmp_path: Path) -> None:
    base = postgres_base_url()
    assert base is not None
    with (
        postgres_schema_url(base) as url,
        start_server(
            tmp_path / "server", database_url=url, extra_args=("--workers", "2")
        ) as server,
    ):
        workers = _worker_pids(server.process.pid)
        assert len(workers) == 1  # the main process serves too
        office = server.add_office()
        devices = [server.enrol(office.code, counter_no=n) for n in (1, 2, 3, 4)]

        def push(i: int) -> list[str]:
            device = devices[i % len(devices)]
            items = [sample_item(office.code, seq=s) for s in range(i * 10 + 1, i * 10 + 11)]
            with requests.Session() as session:  # a connection each: both workers get work
                answer = server.push(device, items, session=session)
            assert answer.status_code == 200, answer.text
            return [r["status"] for r in answer.json()["results"]]

        with ThreadPoolExecutor(8) as pool:
            statuses = [s for batch in pool.map(push, range(16)) for s in batch]
        assert statuses.count("accepted") == 160
        server.stop()
        deadline = time.monotonic() + 15
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "a worker outlived the server"
            time.sleep(0.1)


def test_each_process_runs_requests_on_a_small_thread_pool(tmp_path: Path) -> None:
    """A push is CPU-bound: a few threads per process (``--threads``), not the web stack's
    40. Eight pushes at once on a server with one request thread add one thread to it."""
    with start_server(tmp_path / "server", extra_args=("--threads", "1")) as server:
        office = server.add_office()
        devices = [server.enrol(office.code, counter_no=n) for n in range(1, 9)]
        tasks = Path(f"/proc/{server.process.pid}/task")
        before = len(list(tasks.iterdir()))

        def push(i: int) -> int:
            device = devices[i]
            items = [sample_item(office.code, seq=s) for s in range(1, 41)]
            with requests.Session() as session:
                answer = server.push(device, items, session=session)
            assert answer.status_code == 200, answer.text
            return len(list(tasks.iterdir()))

        with ThreadPoolExecutor(8) as pool:
            during = max(pool.map(push, range(8)))
        assert during <= before + 1


def test_each_worker_accepts_on_a_socket_of_its_own() -> None:
    """One listening socket per worker on one port (SO_REUSEPORT): the kernel spreads new
    connections over them. With one shared socket the first worker to wake took the whole
    queue (39 of 51 connections to one of two workers)."""
    import selectors
    import socket

    from server.cli import listening_sockets

    sockets = listening_sockets("127.0.0.1", 0, 2)
    clients: list[socket.socket] = []
    try:
        assert len({id(s) for s in sockets}) == 2
        port = sockets[0].getsockname()[1]
        assert sockets[1].getsockname()[1] == port
        accepted = {0: 0, 1: 0}
        with selectors.DefaultSelector() as selector:
            for i, sock in enumerate(sockets):
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ, i)
            for _ in range(40):
                clients.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            deadline = time.monotonic() + 10
            while sum(accepted.values()) < 40:
                assert time.monotonic() < deadline, accepted
                for key, _ in selector.select(timeout=1):
                    conn, _ = key.fileobj.accept()  # type: ignore[union-attr]
                    conn.close()
                    accepted[key.data] += 1
        assert min(accepted.values()) >= 1, accepted  # both take connections (2^-39 to fail)
    finally:
        for sock in [*sockets, *clients]:
            sock.close()
