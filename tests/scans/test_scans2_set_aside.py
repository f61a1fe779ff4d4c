"""The scans of a request the server set aside wait with it: not sent, not counted.

The real command (``sync --loop --until-empty``) over a real counter folder and a real
server process. The refused request is a real one, saved through the real intake: this PC
was given a damaged copy of the scan catalogue's version (its service's office fee differs
from the one published on the server), so the server refuses it ("needs attention"). Its
scan must stay on this PC, whole and readable, never reach the server, and not keep the
run going; a request not set aside sends its scans as before, even one sharing a blob.
"""

from __future__ import annotations

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
from desktop.scans.store import ScanStore
from desktop.synccli import EXIT_OK
from rules.catalog import Catalog
from tests.scans.lineup import DOCUMENT, SERVICE, save_with_scans
from tests.scans.scan_catalog import with_scans
from tests.support.e2e import OFFICE_CODE, OFFICE_NAME, CentralServer, Counter, central_server
from tests.support.server import ROOT


def _published_and_damaged(counter: Counter, server: CentralServer, folder: Path) -> None:
    """The server publishes the scan catalogue; this PC imports it with a wrong fee."""
    published = with_scans(counter.catalogs.current()).to_document()
    path = folder / "catalogue-with-scans.json"
    path.write_text(json.dumps(published, ensure_ascii=False), encoding="utf-8")
    server.api.cli("publish-catalog", str(path))
    damaged = json.loads(json.dumps(published))
    for service in damaged["services"]:
        if service["code"] == SERVICE:
            service["fees"]["office"] += 10_000
    counter.catalogs.import_catalog(Catalog.from_document(damaged))


@pytest.fixture
def lineup(tmp_path: Path) -> Iterator[tuple[Counter, CentralServer]]:
    with central_server(tmp_path / "server") as server:
        server.api.add_office(OFFICE_CODE, OFFICE_NAME)
        counter = Counter.create(tmp_path / "pc")
        try:
            counter.enrol(server, f"http://127.0.0.1:{server.port}")
            _published_and_damaged(counter, server, tmp_path)
            yield counter, server
        finally:
            counter.close()


def _sync_until_empty(counter: Counter) -> tuple[int, list[dict[str, Any]], str]:
    env = dict(os.environ, PISHKHAN_DATA_DIR=str(counter.data_dir))
    done = subprocess.run(
        [
            *(sys.executable, "-m", "desktop", "sync", "--loop", "--until-empty", "--json"),
            *("--interval", "1", "--max-backoff", "1", "--max-seconds", "60"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    rounds = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, rounds, done.stderr


def test_a_set_aside_requests_scan_stays_here_and_does_not_keep_the_run_going(
    lineup: tuple[Counter, CentralServer],
) -> None:
    counter, server = lineup
    saved = save_with_scans(counter, random.Random(31), [40_000])
    (sha,) = [r[0] for r in counter.rows("SELECT sha256 FROM scan_parts")]

    code, rounds, err = _sync_until_empty(counter)

    assert code == EXIT_OK, err
    assert len(rounds) == 1, rounds  # nothing left to wait for after the first round
    assert (rounds[0]["attention"], rounds[0]["documents_waiting"]) == (1, 0), rounds
    assert counter.requests()[saved.id][0] == "needs_attention"
    assert server.rows("SELECT count(*) FROM blobs") == [(0,)]
    assert server.rows("SELECT count(*) FROM blob_uploads") == [(0,)]
    # Kept on this PC as it was, encrypted at rest, still to be sent once resolved.
    assert counter.rows("SELECT upload_state FROM scan_parts") == [("waiting",)]
    scans = ScanStore.beside(counter.store.path, counter.store.data_key)
    assert len(scans.read(sha)) == 40_000
    assert ScanOutbox(counter.store, scans).progress(saved.id) == (0, 1)


def test_a_blob_shared_with_a_request_not_set_aside_is_still_sent(
    lineup: tuple[Counter, CentralServer],
) -> None:
    counter, server = lineup
    aside = save_with_scans(counter, random.Random(32), [30_000])
    # The same page scanned again for a request of a service whose fee agrees.
    other = next(
        s for s in counter.catalogs.current().active_services() if s.code != SERVICE and s.documents
    )
    page = ScanStore.beside(counter.store.path, counter.store.data_key)
    (sha,) = [r[0] for r in counter.rows("SELECT sha256 FROM scan_parts")]
    kept = _save_same_page(counter, other.code, page.read(sha))

    code, rounds, err = _sync_until_empty(counter)

    assert code == EXIT_OK, err
    assert rounds[-1]["documents_waiting"] == 0, rounds
    assert counter.requests()[aside.id][0] == "needs_attention"
    assert counter.requests()[kept][0] == "accepted"
    assert server.rows("SELECT sha256, size FROM blobs") == [(sha, 30_000)]
    assert counter.rows("SELECT DISTINCT upload_state FROM scan_parts") == [("sent",)]


def _save_same_page(counter: Counter, service_code: str, data: bytes) -> str:
    import dataclasses

    from desktop.samples import sample_draft
    from desktop.scans.attach import DocumentScan
    from desktop.scans.budgets import ScanKind
    from desktop.scans.shrink import JPEG, ShrunkPart

    service = counter.catalogs.current().service(service_code)
    document = service.documents[0].key
    assert document != DOCUMENT or service_code != SERVICE
    scan = DocumentScan(document, ScanKind.DOCUMENT, ShrunkPart(JPEG, data, 1, 1, 1))
    draft = dataclasses.replace(sample_draft(service, random.Random(33)), scans=[scan])
    return counter.intake.save(counter.clerk, draft).id
