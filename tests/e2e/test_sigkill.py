"""``python -m desktop sync --loop`` killed with SIGKILL while pushing, again and again.

Each life of the sync process is killed at a random moment after it announced a push
(``--events``: the ``batch_sending`` line comes after the items are marked "sending" and
before the HTTP call). What it left "sending" must be sent again by the next life and the
server must deduplicate whatever it had already stored. A last life runs to the end.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

import pytest

from tests.e2e.conftest import REQUESTS
from tests.support.e2e import CentralServer, Counter, check_exactly_once
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import ROOT

pytestmark = pytest.mark.slow

KILLS = 20
EVENT_TIMEOUT_S = 60.0


def _sync_loop(data_dir: Path, log: IO[bytes], *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PISHKHAN_CREDENTIALS="file")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "desktop",
            "sync",
            "--data-dir",
            str(data_dir),
            "--loop",
            "--until-empty",
            "--events",
            "--max-backoff",
            "0.2",
            "--interval",
            "0.1",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
    )


def _events(stream: IO[bytes]) -> queue.Queue[dict[str, Any] | None]:
    """The process's JSON event lines, as they come (None once its stdout closes)."""
    lines: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def read() -> None:
        for raw in stream:
            try:
                lines.put(json.loads(raw))
            except ValueError:
                continue
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _next_event(
    lines: queue.Queue[dict[str, Any] | None], kinds: set[str]
) -> dict[str, Any] | None:
    deadline = time.monotonic() + EVENT_TIMEOUT_S
    while True:
        try:
            event = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {kinds} event from sync within {EVENT_TIMEOUT_S} s") from None
        if event is None or event.get("kind") in kinds:
            return event


def test_sync_killed_twenty_times_while_pushing(
    server: CentralServer, counter: Counter, tmp_path: Path
) -> None:
    rng = random.Random(20)
    lives: list[dict[str, Any]] = []
    # A little latency keeps each push on the wire long enough for a kill to land in it.
    with (
        FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=100)) as proxy,
        (tmp_path / "sync.log").open("wb") as log,
    ):
        counter.enrol(server, proxy.url_for())
        t0 = time.monotonic()
        while len(lives) < KILLS:
            proc = _sync_loop(counter.data_dir, log)
            try:
                lines = _events(proc.stdout)  # type: ignore[arg-type]
                started = _next_event(lines, {"round_started"})
                assert started is not None, "the sync process ended before its first round"
                # Kill at the 1st, 2nd or 3rd push of this life, 0-200 ms after it began.
                nth = rng.randint(1, 3)
                for _ in range(nth):
                    event = _next_event(lines, {"batch_sending"})
                    assert event is not None, "the sync ran out of work before 20 kills"
                time.sleep(rng.uniform(0.0, 0.2))  # the random moment of the kill
                proc.send_signal(signal.SIGKILL)
                assert proc.wait(timeout=30) == -signal.SIGKILL
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=30)
                assert proc.stdout is not None
                proc.stdout.close()
            lives.append(
                {"reclaimed_at_start": started["reclaimed"], "left_sending": counter.sending()}
            )
        with _sync_loop(counter.data_dir, log, "--max-seconds", "90") as final:
            assert final.stdout is not None
            final_events = [json.loads(line) for line in final.stdout if line.strip()]
            assert final.wait(timeout=120) == 0, (tmp_path / "sync.log").read_text("utf-8")
    outcome = check_exactly_once(counter, server, expected=REQUESTS)
    # Killed while pushing: most lives left items "sending", and the next life took them back.
    left = [life["left_sending"] for life in lives]
    reclaimed = [life["reclaimed_at_start"] for life in lives[1:]] + [
        next(e["reclaimed"] for e in final_events if e["kind"] == "round_started")
    ]
    assert reclaimed == left, (left, reclaimed)
    assert sum(1 for n in left if n > 0) >= KILLS // 2, left
    print(
        f"\n[e2e sigkill] {time.monotonic() - t0:.1f}s kills={len(lives)} left_sending={left} "
        f"{outcome.line()} {proxy.stats()}"
    )
