"""Enrolment over a bad link: the answer with the device token is lost on the way back.

The server has enrolled the PC (and spent the one-time code), the PC never got its token.
Nothing may be lost: the PC still holds every request, a new code from the central office
enrols it again (the unseen token is replaced), and its requests then arrive exactly once,
even after a spell of link down in which every round fails.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from desktop.synccli import enrol_device
from sync.client import SyncError
from tests.support.e2e import (
    CentralServer,
    ClientTuning,
    Counter,
    EventLog,
    check_exactly_once,
    make_engine,
    settle,
)
from tests.support.faultproxy import FaultProxy, LinkConfig

pytestmark = pytest.mark.slow


def test_lost_enrolment_answer_then_enrolled_with_a_new_code(
    server: CentralServer, tmp_path: Path
) -> None:
    counter = Counter.create(tmp_path / "pc")
    try:
        counter.save(5, random.Random(3))
        lost = LinkConfig(drop_after_request_probability=1.0)
        with FaultProxy("127.0.0.1", server.port, config=lost) as proxy:
            code = server.api.enrolment_code(counter.device.office_code)
            with pytest.raises(SyncError):
                enrol_device(counter.store, counter.data_dir, server_url=proxy.url_for(), code=code)
            assert proxy.stats().drops_after_request == 1
            # The server did enrol it; the PC knows nothing of that and keeps its queue.
            assert server.rows("SELECT id FROM devices") == [(counter.device.id,)]
            assert not counter.device.enrolled and counter.token() is None
            assert counter.outbox() == {"queued": 5}

            proxy.set_config(LinkConfig(rtt_ms=40))
            counter.enrol(server, proxy.url_for())  # a new one-time code
            assert counter.device.enrolled and counter.token()
            engine = make_engine(counter, ClientTuning(), EventLog())

            # The link goes down for good: the rounds fail, bounded, and nothing is lost.
            proxy.set_config(LinkConfig(refuse_connections=True))
            with pytest.raises(
                AssertionError,
                match=r"did not settle: 3 rounds \(3 failed\)"
                r".*waiting 5",
            ):
                settle(engine, max_rounds=3)
            assert counter.outbox() == {"queued": 5}
            assert server.requests_of(counter.device.id) == {}

            proxy.set_config(LinkConfig(rtt_ms=40))
            settle(engine, max_rounds=10)
        check_exactly_once(counter, server, expected=5)
    finally:
        counter.close()
