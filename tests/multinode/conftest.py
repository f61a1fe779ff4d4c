"""Two server nodes over one PostgreSQL schema behind HAProxy (Debian's package).

``cluster`` starts both nodes at the same moment (each with a data folder of its own, so
they share nothing but the database: both migrate at start and take turns on the
preparation lock), then HAProxy with ``haproxy.cfg`` in front of them. Skipped only
without ``PISHKHAN_TEST_PG_URL`` (a failure on CI); a missing ``haproxy`` is a failure
(``.ci/run`` installs it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.support.balancer import start_haproxy
from tests.support.e2e import free_port
from tests.support.server import RunningServer, postgres_base_url, postgres_schema_url, start_server

# Few failures before 429, so the throttle test stays short.
NODE_ARGS = ("--access-log", "--auth-failures-burst", "3")


@dataclass
class Cluster:
    nodes: tuple[RunningServer, RunningServer]
    balancer: RunningServer  # the nodes' helpers, pointed at the balancer's port
    database_url: str
    haproxy_log: Path

    def pushes_served(self) -> list[int]:
        """How many pushes each node answered (from its access log)."""
        return [node.log_text().count('"POST /v1/push HTTP/1.1" 200') for node in self.nodes]


def _wait_for_balancer(url: str, log_path: Path) -> None:
    """Until both nodes pass HAProxy's health check (a request reaches each in turn)."""
    deadline = time.monotonic() + 30
    ok = 0
    while ok < 4:
        with contextlib.suppress(requests.RequestException):
            ok = ok + 1 if requests.get(url, timeout=5).ok else 0
        if time.monotonic() > deadline:
            raise RuntimeError("balancer never answered:\n" + log_path.read_text())
        time.sleep(0.05)  # polling for readiness: nothing to wait on but the port


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One cluster for the module's tests: each uses offices of its own."""
    tmp_path = tmp_path_factory.mktemp("cluster")
    base = postgres_base_url()
    assert base is not None
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_schema_url(base))
        # Both at once: two fresh nodes migrating one empty schema at the same time.
        managers = [
            start_server(tmp_path / f"node{n}", database_url=url, extra_args=NODE_ARGS)
            for n in (1, 2)
        ]
        with ThreadPoolExecutor(2) as pool:
            starting = [pool.submit(m.__enter__) for m in managers]
        for manager, future in zip(managers, starting, strict=True):
            if future.exception() is None:
                stack.push(manager.__exit__)
        node1, node2 = (f.result() for f in starting)
        port = free_port()
        log_path = stack.enter_context(start_haproxy(tmp_path, port, [node1, node2]))
        balancer = dataclasses.replace(node1, port=port, session=requests.Session())
        stack.callback(balancer.session.close)
        _wait_for_balancer(balancer.url("/v1/health"), log_path)
        yield Cluster((node1, node2), balancer, url, log_path)
