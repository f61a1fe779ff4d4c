"""``sync --loop --until-empty`` ends only when no request and no scan file waits.

The real command (a child process) over a real counter folder and a real server process,
the fault proxy between them: a scripted break in the middle of a scan's upload ends the
first round cleanly (the text went through, the feed was read) with the scan not whole on
the server. The loop must go on until the server holds every blob; a blob the server
refuses every time keeps it going until ``--max-seconds``, with exit code 1 ("waiting").
What the server holds is read back from it (its blob table, the blob's bytes, the
request's documents state); the summary is the command's own JSON lines.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from desktop.scans.outbox import ScanOutbox
from desktop.synccli import EXIT_OK, EXIT_WAITING
from tests.scans.lineup import save_with_scans, scan_catalogue_everywhere
from tests.support.e2e import OFFICE_CODE, OFFICE_NAME, CentralServer, Counter, central_server
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import ROOT

# One blob of 300,000 bytes goes in three chunks (64, 128, then the rest of 512 KiB), so a
# round's requests through the proxy are: the push (1), the blob's create (2), its chunks
# (3, 4, 5), the change feed (6). The fourth request, the second chunk, is cut mid-body.
ONE_BLOB = [300_000]
CUT_SECOND_CHUNK = frozenset({4})


@pytest.fixture
def lineup(tmp_path: Path) -> Iterator[tuple[Counter, CentralServer, FaultProxy]]:
    with central_server(tmp_path / "server") as server:
        server.api.add_office(OFFICE_CODE, OFFICE_NAME)
        counter = Counter.create(tmp_path / "pc")
        with FaultProxy("127.0.0.1", server.port, config=LinkConfig()) as proxy:
            counter.enrol(server, proxy.url_for())
            scan_catalogue_everywhere(counter, server, tmp_path)
            try:
                yield counter, server, proxy
            finally:
                counter.close()


def _sync_until_empty(counter: Counter, *extra: str) -> tuple[int, list[dict[str, Any]], str]:
    env = dict(os.environ, PISHKHAN_DATA_DIR=str(counter.data_dir))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "sync",
            "--loop",
            "--until-empty",
            "--json",
            "--interval",
            "1",
            "--max-backoff",
            "1",
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    rounds = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, rounds, done.stderr


def _documents(server: CentralServer, request_id: str) -> dict[str, Any]:
    answer = server.api.admin("GET", f"/v1/admin/requests/{request_id}/documents")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_loop_goes_on_after_a_clean_round_that_left_a_scan_half_sent(
    lineup: tuple[Counter, CentralServer, FaultProxy],
) -> None:
    counter, server, proxy = lineup
    saved = save_with_scans(counter, random.Random(21), ONE_BLOB)
    proxy.set_config(LinkConfig(cut_request_numbers=CUT_SECOND_CHUNK))
    proxy.reset_stats()  # the request numbers count from here

    code, rounds, err = _sync_until_empty(counter, "--max-seconds", "60")

    assert proxy.stats().cuts == 1
    first, last = rounds[0], rounds[-1]
    # The scenario: a clean round, the request accepted, the scan not whole on the server
    # (before the fix the command ended here, with exit 0).
    assert (first["error"], first["accepted"], first["waiting"]) == (None, 1, 0), rounds
    assert first["documents_waiting"] == 1, rounds
    assert len(rounds) >= 2
    assert code == EXIT_OK, err
    assert (last["error"], last["waiting"], last["documents_waiting"]) == (None, 0, 0)
    # The summary keeps the keys it had, with the scans' figure beside them.
    assert {"pushed", "accepted", "waiting", "attention", "error", "stopped"} <= set(last)
    (sha,) = [r[0] for r in counter.rows("SELECT DISTINCT sha256 FROM scan_parts")]
    assert server.rows("SELECT sha256, size FROM blobs") == [(sha, ONE_BLOB[0])]
    assert server.rows("SELECT count(*) FROM blob_uploads") == [(0,)]
    got = server.api.session.get(
        server.api.url(f"/v1/blobs/{sha}"),
        headers={"Authorization": f"Bearer {counter.token()}"},
        timeout=30,
    )
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha
    seen = _documents(server, saved.id)
    assert (seen["state"], seen["received"], seen["total"]) == ("complete", 1, 1)
    assert ScanOutbox(counter.store, counter.intake.scans).progress(saved.id) == (1, 1)


def _refused_at_every_create(counter: Counter, server: CentralServer, size: int) -> None:
    """Begin, as this PC, an upload of the last saved part with another length: the
    server then refuses the PC's own create of it ("differs from the upload begun
    before"), every round, while the request itself is accepted."""
    (sha,) = counter.rows("SELECT sha256 FROM scan_parts WHERE size = ?", size)[0]
    begun = server.api.session.post(
        server.api.url("/v1/blobs"),
        json={"sha256": sha, "length": size + 1},
        headers={"Authorization": f"Bearer {counter.token()}"},
        timeout=30,
    )
    assert begun.status_code == 201, begun.text


def test_a_scan_the_server_always_refuses_keeps_it_going_until_max_seconds(
    lineup: tuple[Counter, CentralServer, FaultProxy],
) -> None:
    counter, server, _proxy = lineup
    saved = save_with_scans(counter, random.Random(22), [40_000, 50_000])
    _refused_at_every_create(counter, server, 50_000)

    code, rounds, err = _sync_until_empty(counter, "--max-seconds", "4")

    assert code == EXIT_WAITING, err
    assert len(rounds) >= 2  # it did not stop after the first clean round
    assert rounds[0]["accepted"] == 1
    assert all(r["error"] is None and r["waiting"] == 0 for r in rounds), rounds
    assert [r["documents_waiting"] for r in rounds] == [1] * len(rounds)
    assert server.rows("SELECT size FROM blobs") == [(40_000,)]  # the other one arrived
    seen = _documents(server, saved.id)
    assert (seen["state"], seen["received"], seen["total"]) == ("awaiting_documents", 1, 2)


def test_one_round_with_a_scan_left_exits_waiting_and_says_so_in_words(
    lineup: tuple[Counter, CentralServer, FaultProxy],
) -> None:
    counter, server, _proxy = lineup
    save_with_scans(counter, random.Random(23), [30_000])
    _refused_at_every_create(counter, server, 30_000)
    env = dict(os.environ, PISHKHAN_DATA_DIR=str(counter.data_dir))
    once = subprocess.run(
        [sys.executable, "-m", "desktop", "--lang", "en", "sync"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert once.returncode == EXIT_WAITING, once.stderr  # one round: a scan is left
    assert "waiting 0, needs attention 0, scans waiting 1" in once.stdout, once.stdout
