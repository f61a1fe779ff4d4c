"""The uploader against the real server through the fault proxy: cuts cost at most one chunk."""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkInfo
from desktop.db.engine import Store
from desktop.intake import Intake
from desktop.samples import sample_draft
from desktop.scans.attach import DocumentScan
from desktop.scans.budgets import ScanKind
from desktop.scans.outbox import ScanOutbox
from desktop.scans.shrink import JPEG, ShrunkPart
from sync.uploads import MAX_CHUNK, Uploader
from tests.scans.scan_catalog import publish_with_scans
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer, start_server


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with start_server(tmp_path / "server") as running:
        yield running


def _save_with_scans(
    store: Store, intake: Intake, clerk: ClerkInfo, rng: random.Random, sizes: list[int]
) -> str:
    service = publish_with_scans(CatalogStore(store)).service("self_employed_insurance")
    scans = [
        DocumentScan(
            "national_card", ScanKind.DOCUMENT, ShrunkPart(JPEG, rng.randbytes(n), 1, 1, 1)
        )
        for n in sizes
    ]
    return intake.save(clerk, dataclasses.replace(sample_draft(service, rng), scans=scans)).id


def test_cuts_every_few_hundred_kb_resend_at_most_one_chunk_each(
    server: RunningServer, store: Store, intake: Intake, manager: ClerkInfo
) -> None:
    rng = random.Random(12)
    ids = [_save_with_scans(store, intake, manager, rng, [150_000, 110_000]) for _ in range(3)]
    outbox = ScanOutbox(store, intake.scans)
    total = sum(b.size for b in outbox.waiting(100))
    device = server.enrol(server.add_office().code)
    config = LinkConfig(
        reset_probability=0.04,  # per 16 KiB piece: a reset every ~400 KB on average
        drop_after_turns=frozenset({4, 9}),  # and two lost answers, on every run
        cut_response_turns=frozenset({6}),
        seed=7,
    )
    with FaultProxy("127.0.0.1", server.port, config=config) as proxy:
        uploader = Uploader(proxy.url_for(), device.token, outbox)
        rounds = 0
        while not uploader.run():
            rounds += 1
            assert rounds < 200, uploader.stats
        link = proxy.stats()
    stats = uploader.stats
    # Faults the line dealt (a create sent ahead that breaks is made again at once, not a
    # failure of the upload: so the proxy counts them, not the uploader).
    cuts = link.resets + link.cuts + link.drops_after_request
    assert cuts >= 3  # the scripted faults at least
    resent = stats.bytes_sent - total
    print(f"uploads through the fault proxy: {total} bytes, {stats}, {cuts} cuts, resent {resent}")
    assert 0 <= resent <= cuts * MAX_CHUNK
    assert outbox.waiting(100) == []
    assert [outbox.progress(i) for i in ids] == [(2, 2)] * 3
    for sha in {p.sha256 for p in _parts(store)}:
        got = server.session.get(server.url(f"/v1/blobs/{sha}"), headers=device.headers, timeout=30)
        assert hashlib.sha256(got.content).hexdigest() == sha


@dataclasses.dataclass(frozen=True)
class _Part:
    sha256: str


def _parts(store: Store) -> list[_Part]:
    from sqlalchemy import text

    with store.read() as s:
        return [_Part(r[0]) for r in s.execute(text("SELECT sha256 FROM scan_parts"))]


def test_a_waiting_text_request_stops_the_upload_after_the_chunk_in_flight(
    server: RunningServer, store: Store, intake: Intake, manager: ClerkInfo
) -> None:
    _save_with_scans(store, intake, manager, random.Random(3), [300_000])
    outbox = ScanOutbox(store, intake.scans)
    device = server.enrol(server.add_office().code)
    asked = []

    def text_waiting() -> bool:
        asked.append(1)
        return len(asked) > 2  # a request is saved after the first chunk went

    uploader = Uploader(server.base_url, device.token, outbox, text_waiting=text_waiting)
    assert uploader.run() is False
    assert uploader.stats.chunks_sent == 1 and uploader.stats.blobs_sent == 0
    assert len(outbox.waiting(10)) == 1
    done = Uploader(server.base_url, device.token, outbox)  # the line is free again
    assert done.run() is True and done.stats.bytes_sent == 300_000 - uploader.stats.bytes_sent
