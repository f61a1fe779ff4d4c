"""Documents in the sync round (text first), with the production assembly of the engine.

The engine is `desktop.synccli.make_engine`'s (the one the window and ``sync`` run), over a
real counter folder and a real server process; what the server holds is read back from it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.scans.outbox import ScanOutbox
from desktop.synccli import make_engine
from sync.engine import BatchAnswered, SyncEngine, SyncEvent
from sync.uploads import DocumentLane
from tests.scans.lineup import save_text, save_with_scans, scan_catalogue_everywhere
from tests.support.e2e import (
    OFFICE_CODE,
    OFFICE_NAME,
    CentralServer,
    ClientTuning,
    Counter,
    EventLog,
    central_server,
)
from tests.support.e2e import make_engine as e2e_engine


@pytest.fixture
def lineup(tmp_path: Path) -> Iterator[tuple[Counter, CentralServer]]:
    with central_server(tmp_path / "server") as server:
        server.api.add_office(OFFICE_CODE, OFFICE_NAME)
        counter = Counter.create(tmp_path / "pc")
        counter.enrol(server, server.api.base_url)
        scan_catalogue_everywhere(counter, server, tmp_path)
        try:
            yield counter, server
        finally:
            counter.close()


def _lane(engine: SyncEngine) -> DocumentLane:
    lane = engine._documents  # the assembled lane, to watch it work
    assert isinstance(lane, DocumentLane)
    return lane


def test_a_round_sends_the_text_then_every_document_once(
    lineup: tuple[Counter, CentralServer],
) -> None:
    counter, server = lineup
    rng = random.Random(1)
    with_scans = [save_with_scans(counter, rng, [90_000, 40_000]) for _ in range(2)]
    engine = make_engine(counter.store, counter.data_dir)
    result = engine.run_round()
    assert result.ok and result.accepted == 2, result
    outbox = ScanOutbox(counter.store, counter.intake.scans)
    assert [outbox.progress(r.id) for r in with_scans] == [(2, 2), (2, 2)]
    blobs = server.rows("SELECT sha256, size FROM blobs ORDER BY size")
    assert [length for _, length in blobs] == [40_000, 40_000, 90_000, 90_000]
    assert server.rows("SELECT count(*) FROM blob_uploads")[0][0] == 0


def test_a_request_saved_mid_upload_goes_out_after_at_most_the_chunk_in_flight(
    lineup: tuple[Counter, CentralServer],
) -> None:
    counter, server = lineup
    rng = random.Random(2)
    save_with_scans(counter, rng, [400_000, 400_000])
    events: list[tuple[SyncEvent, int, int]] = []
    engine = make_engine(
        counter.store,
        counter.data_dir,
        on_event=lambda e: events.append((e, lane.uploader.stats.bytes_sent, waiting())),
    )
    lane = _lane(engine)
    outbox = ScanOutbox(counter.store, counter.intake.scans)

    def waiting() -> int:
        return len(outbox.waiting(10))

    real_check = lane.text_waiting
    saved: list[tuple[str, int, int]] = []

    def check_then_save() -> bool:
        # A clerk saves right after the uploader's third look at the queue: the chunk
        # about to go is the one "in flight" when the request appears.
        answer = real_check()
        if lane.uploader.stats.chunks_sent == 2 and not saved:
            text = save_text(counter, rng)
            saved.append((text.id, lane.uploader.stats.bytes_sent, lane.uploader.chunk))
        return answer

    lane.text_waiting = check_then_save
    result = engine.run_round()
    assert result.ok and result.accepted == 2 and saved, (result, saved)
    text_id, bytes_at_save, chunk_at_save = saved[0]
    answered = [(e, sent, left) for e, sent, left in events if isinstance(e, BatchAnswered)]
    assert len(answered) == 2, answered
    _, sent_when_accepted, blobs_left = answered[1]
    assert blobs_left > 0  # the text went out in the middle of the documents
    assert sent_when_accepted - bytes_at_save <= chunk_at_save  # behind at most one chunk
    assert server.rows("SELECT state FROM requests WHERE id = ?", text_id)
    assert waiting() == 0
    assert server.rows("SELECT count(*) FROM blobs")[0][0] == 2


def _documents(server: CentralServer, request_id: str) -> dict[str, object]:
    answer = server.api.admin("GET", f"/v1/admin/requests/{request_id}/documents")
    assert answer.status_code == 200, answer.text
    body: dict[str, object] = answer.json()
    return body


def test_the_server_shows_awaiting_documents_until_every_blob_is_whole(
    lineup: tuple[Counter, CentralServer],
) -> None:
    counter, server = lineup
    rng = random.Random(3)
    saved = save_with_scans(counter, rng, [30_000, 20_000, 30_000])
    text = save_text(counter, rng)
    text_only = e2e_engine(counter, ClientTuning(), EventLog())  # an engine without documents
    assert text_only.run_round().accepted == 2
    seen = _documents(server, saved.id)
    assert (seen["state"], seen["received"], seen["total"]) == ("awaiting_documents", 0, 3)
    documents = seen["documents"]
    assert isinstance(documents, list)
    assert [(d["document"], d["size"], d["pages"]) for d in documents] == [
        ("national_card", 30_000, 1),
        ("national_card", 20_000, 1),
        ("national_card", 30_000, 1),
    ]
    assert _documents(server, text.id)["state"] == "none"

    assert make_engine(counter.store, counter.data_dir).run_round().ok
    seen = _documents(server, saved.id)
    assert (seen["state"], seen["received"], seen["total"]) == ("complete", 3, 3)
    # Two parts with the same bytes would be one blob: here all three differ.
    assert server.rows("SELECT count(*) FROM blobs")[0][0] == 3


def test_the_documents_route_answers_4xx_for_a_bad_or_unknown_id(
    lineup: tuple[Counter, CentralServer],
) -> None:
    _, server = lineup
    bad = server.api.admin("GET", "/v1/admin/requests/not-a-uuid/documents")
    assert bad.status_code == 422 and "request_id" in bad.text
    unknown = server.api.admin("GET", f"/v1/admin/requests/{uuid.uuid4()}/documents")
    assert unknown.status_code == 404
