"""One request the server refuses, in a batch of 100: it is set aside, the rest goes on.

The refused request is a real one, saved through the real intake: this PC was given a
damaged copy of catalogue version 1 (the criminal-record office fee differs from the one
the central office published under that version), so the server's own check of the fees
refuses exactly the one criminal-record request and accepts the 99 others.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from desktop.catalog_store import CatalogStore
from desktop.db.engine import Store
from rules.catalog import Catalog, demo_catalog_path
from sync.engine import BatchAnswered, BatchSending
from tests.support.e2e import (
    CentralServer,
    ClientTuning,
    Counter,
    EventLog,
    check_exactly_once,
    describe_link,
    make_engine,
    settle,
)
from tests.support.faultproxy import FaultProxy, LinkConfig

pytestmark = pytest.mark.slow

ODD_SERVICE = "criminal_record"
PERSIAN = re.compile(r"[\u0600-\u06FF]{3,}")


def _damaged_catalogue(store: Store) -> None:
    document = json.loads(demo_catalog_path().read_text(encoding="utf-8"))
    for service in document["services"]:
        if service["code"] == ODD_SERVICE:
            service["fees"]["office"] += 10_000
    CatalogStore(store).import_catalog(Catalog.from_document(document), source="file")


def test_one_refused_request_in_a_batch_of_100(server: CentralServer, tmp_path: Path) -> None:
    counter = Counter.create(tmp_path / "pc", setup=_damaged_catalogue)
    try:
        rng = random.Random(100)
        others = [
            s.code for s in counter.catalogs.current().active_services() if s.code != ODD_SERVICE
        ]
        saved = counter.save(49, rng, others)
        odd = counter.save(1, rng, [ODD_SERVICE])[0]
        saved += counter.save(50, rng, others)
        with FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=40)) as proxy:
            counter.enrol(server, proxy.url_for())
            events = EventLog()
            tuning = ClientTuning(batch_size=100, batch_ceiling=100)
            engine = make_engine(counter, tuning, events)
            first = engine.run_round()
            assert first.ok, first
            assert [e.size for e in events.of(BatchSending)] == [100]
            answered = events.of(BatchAnswered)
            assert [(a.accepted, a.set_aside) for a in answered] == [(99, 1)]
            assert (first.waiting, first.attention) == (0, 1)

            state, code, reason_fa, reason_en = counter.requests()[odd.id]
            assert (state, code) == ("needs_attention", None)
            assert reason_en and "fees" in reason_en, reason_en
            assert reason_fa and PERSIAN.search(reason_fa), reason_fa

            # The queue keeps moving: later requests go as usual, the refused one stays aside.
            later = counter.save(10, rng, others)
            settle(engine, max_rounds=20, describe=lambda: describe_link(proxy))
        outcome = check_exactly_once(counter, server, expected=109, attention=1)
        assert set(outcome.attention) == {odd.id}
        stored = server.requests_of(counter.device.id)
        assert {s.id for s in saved + later} == set(stored)
        print(f"\n[e2e attention] reason_en={reason_en!r} reason_fa={reason_fa!r} {outcome.line()}")
    finally:
        counter.close()
