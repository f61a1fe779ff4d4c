"""HAProxy (Debian's package) in front of server nodes, as deployed (docs/DEPLOYMENT.md):
``start_haproxy(work, port, nodes)`` runs it in the foreground with
tests/multinode/haproxy.cfg, the nodes' ports given through the environment, and stops it
(by its process id) on exit. A missing haproxy is a failure: .ci/run installs it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.support.server import RunningServer

HAPROXY_CFG = Path(__file__).resolve().parents[1] / "multinode" / "haproxy.cfg"


@contextlib.contextmanager
def start_haproxy(work: Path, bind_port: int, nodes: Sequence[RunningServer]) -> Iterator[Path]:
    exe = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if exe is None:
        pytest.fail("haproxy is not installed (apt-get install haproxy; .ci/run does)")
    env = {
        **os.environ,
        "PISHKHAN_LB_BIND": f"127.0.0.1:{bind_port}",
        "PISHKHAN_NODE1": f"127.0.0.1:{nodes[0].port}",
        "PISHKHAN_NODE2": f"127.0.0.1:{nodes[1].port}",
    }
    log_path = work / "haproxy.log"
    with log_path.open("wb") as log:
        # -db: stay in the foreground, so the test owns the process and stops it by id.
        process = subprocess.Popen(
            [exe, "-db", "-f", str(HAPROXY_CFG)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
