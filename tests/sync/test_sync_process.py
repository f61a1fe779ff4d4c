"""``python -m desktop sync --loop`` as a process: killed mid-call, started again, exactly once.

This is the handle the end-to-end fault matrix drives: a sync process it can SIGKILL at
any instant, whose engine events arrive as JSON lines on stdout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from typing import Any

from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer
from tests.sync.conftest import ROOT, Counter, server_rows


def _sync_loop(counter: Counter, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PISHKHAN_DATA_DIR=str(counter.data_dir))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desktop",
            "sync",
            "--loop",
            "--until-empty",
            "--events",
            "--interval",
            "1",
            "--max-backoff",
            "2",
            "--read-timeout",
            "10",
            "--max-seconds",
            "120",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_sync_process_killed_mid_push_loses_and_duplicates_nothing(
    counter: Counter, server: RunningServer
) -> None:
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=300)) as proxy:
        counter.enrol(server, url=proxy.url_for())
        saved = counter.save(40)

        first = _sync_loop(counter)
        assert first.stdout is not None
        events: list[dict[str, Any]] = []
        for line in first.stdout:
            events.append(json.loads(line))
            if sum(e["kind"] == "batch_sending" for e in events) == 2:
                first.send_signal(signal.SIGKILL)  # the second batch is on the wire
                break
        first.wait(timeout=30)
        first.stdout.close()
        assert first.stderr is not None
        first.stderr.close()
        assert first.returncode == -signal.SIGKILL
        assert [e["kind"] for e in events][:2] == ["round_started", "batch_sending"]
        in_flight = counter.outbox().get("sending", 0)
        assert in_flight > 0  # left "sending" by the killed process

        second = _sync_loop(counter)
        out, err = second.communicate(timeout=150)
    assert second.returncode == 0, err
    kinds = [json.loads(line)["kind"] for line in out.splitlines()]
    assert kinds[-1] == "round_finished"
    started = json.loads(out.splitlines()[0])
    assert started["kind"] == "round_started" and started["reclaimed"] == in_flight
    assert counter.states() == {"accepted": 40} and counter.outbox() == {"done": 40}
    ids = [s.id for s in saved]
    marks = ",".join("?" * len(ids))
    assert server_rows(
        server, f"SELECT count(DISTINCT id), count(*) FROM requests WHERE id IN ({marks})", *ids
    ) == [(40, 40)]
    local_codes = dict(counter.rows("SELECT id, tracking_code FROM requests"))
    assert local_codes == dict(
        server_rows(server, f"SELECT id, tracking_code FROM requests WHERE id IN ({marks})", *ids)
    )
