"""Exactly once for documents: a SIGKILL of the sync mid-upload, a server restart mid-upload.

A real server process, a real counter folder, the fault proxy as a slow line between them
(512 kbit/s, so an upload of 600 KB takes about ten seconds and is caught in the middle).
After each fault the sync goes on; then: every blob on the server once, whole (its bytes
hash to its name), the server's upload rows gone, every part marked sent on the PC, and
the bytes the PC sent at most one chunk more than the blobs hold (plus HTTP's own).
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.scans.outbox import ScanOutbox
from desktop.synccli import make_engine
from sync.uploads import MAX_CHUNK
from tests.scans.lineup import save_with_scans, scan_catalogue_everywhere
from tests.support.e2e import (
    OFFICE_CODE,
    OFFICE_NAME,
    CentralServer,
    Counter,
    central_server,
    fast_backoff,
)
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import ROOT
from tests.support.waiting import wait_until

SIZES = [300_000, 300_000]
LINE = LinkConfig(rate_bps=512_000, rtt_ms=100)
HTTP_ALLOWANCE = 64 * 1024  # headers of every call, the text push, the feed's requests


@pytest.fixture
def lineup(tmp_path: Path) -> Iterator[tuple[Counter, CentralServer, FaultProxy]]:
    with central_server(tmp_path / "server") as server:
        server.api.add_office(OFFICE_CODE, OFFICE_NAME)
        counter = Counter.create(tmp_path / "pc")
        with FaultProxy("127.0.0.1", server.port, config=LINE) as proxy:
            counter.enrol(server, proxy.url_for())
            scan_catalogue_everywhere(counter, server, tmp_path)
            try:
                yield counter, server, proxy
            finally:
                counter.close()


def _partial_upload(server: CentralServer) -> Callable[[], tuple[int, int] | None]:
    def probe() -> tuple[int, int] | None:
        rows = server.rows("SELECT received, length FROM blob_uploads WHERE received > 0")
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    return probe


def _check_every_blob_once(counter: Counter, server: CentralServer) -> int:
    outbox = ScanOutbox(counter.store, counter.intake.scans)
    assert outbox.waiting(100) == []
    shas = [r[0] for r in counter.rows("SELECT DISTINCT sha256 FROM scan_parts")]
    blobs = server.rows("SELECT sha256, size FROM blobs")
    assert sorted(sha for sha, _ in blobs) == sorted(shas)  # each once, none missing
    assert server.rows("SELECT count(*) FROM blob_uploads") == [(0,)]
    device = counter.device
    token = counter.token()
    for sha in shas:
        got = server.api.session.get(
            server.api.url(f"/v1/blobs/{sha}"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha, device
    return sum(int(size) for _, size in blobs)


_SYNC_ARGS = (
    "--interval",
    "1",
    "--max-backoff",
    "1",
    "--read-timeout",
    "20",
    "--max-seconds",
    "120",
)


def _sync_process(counter: Counter) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PISHKHAN_DATA_DIR=str(counter.data_dir))
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", "sync", "--loop", "--until-empty", *_SYNC_ARGS],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_a_sync_killed_mid_upload_resumes_with_no_duplicate_and_no_lost_chunk(
    lineup: tuple[Counter, CentralServer, FaultProxy],
) -> None:
    counter, server, proxy = lineup
    save_with_scans(counter, random.Random(11), SIZES)
    first = _sync_process(counter)
    try:
        wait_until(_partial_upload(server), timeout=60, what="an upload under way")
        at_kill = _partial_upload(server)()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        assert first.stderr is not None
        first.stderr.close()
    assert first.returncode == -signal.SIGKILL
    left = _partial_upload(server)()
    assert left is not None and left[0] < left[1], (at_kill, left)  # killed mid-upload

    second = _sync_process(counter)
    _, err = second.communicate(timeout=150)
    assert second.returncode == 0, err.decode()
    total = _check_every_blob_once(counter, server)
    sent = proxy.stats().bytes_client_to_server
    print(f"SIGKILL mid-upload: blobs {total} B, sent {sent} B, at kill {at_kill}")
    assert sent - total <= MAX_CHUNK + HTTP_ALLOWANCE


def test_a_server_restart_mid_upload_costs_at_most_the_chunk_in_flight(
    lineup: tuple[Counter, CentralServer, FaultProxy],
) -> None:
    counter, server, proxy = lineup
    save_with_scans(counter, random.Random(12), SIZES)
    engine = make_engine(counter.store, counter.data_dir, backoff=fast_backoff(0.5))
    lane = engine._documents
    assert lane is not None
    outbox = ScanOutbox(counter.store, counter.intake.scans)
    finished = threading.Event()
    rounds: list[bool] = []

    def sync_until_sent() -> None:
        deadline = time.monotonic() + 120
        try:
            while outbox.waiting(10) and time.monotonic() < deadline:
                rounds.append(engine.run_round().ok)
                time.sleep(min(engine.seconds_until_due(), 0.5))  # the backoff, shortened
        finally:
            finished.set()

    syncing = threading.Thread(target=sync_until_sent, name="sync-rounds")
    syncing.start()
    try:
        wait_until(_partial_upload(server), timeout=60, what="an upload under way")
        at_kill = _partial_upload(server)()
        server.kill()  # SIGKILL: whatever chunk is on its way is lost with the process
        left = _partial_upload(server)()
        assert left is not None and left[0] < left[1], (at_kill, left)
        server.start()
    finally:
        finished.wait(timeout=150)
        syncing.join(timeout=5)
    assert finished.is_set() and not syncing.is_alive()
    total = _check_every_blob_once(counter, server)
    stats = lane.uploader.stats
    print(f"server restart mid-upload: blobs {total} B, {stats}, rounds {rounds}")
    assert stats.bytes_sent - total <= MAX_CHUNK  # chunk bytes resent: the one in flight
    assert proxy.stats().bytes_client_to_server - total <= MAX_CHUNK + HTTP_ALLOWANCE
    assert False in rounds or stats.failures > 0  # the restart was felt
