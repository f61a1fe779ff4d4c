"""A round that fails after marking requests "sending" tells the views (issue 14, item 6).

The engine puts what it handed out back in the queue when the round fails; the adapter
must announce that as a change of the requests, or the queue keeps showing "sending"
(in the trial: for minutes, until a later good round). Real server, real fault proxy
that drops every answer after the request reached the server.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer
from tests.sync.conftest import Counter
from ui.sync_adapter import SyncAdapter, SyncStatus

pytestmark = pytest.mark.qt_log_level_fail("WARNING")


def test_a_failed_round_announces_its_requests_are_waiting_again(
    qtbot: QtBot, counter: Counter, server: RunningServer
) -> None:
    with FaultProxy("127.0.0.1", server.port) as proxy:
        counter.enrol(server, url=proxy.url_for())
        adapter = SyncAdapter(counter.store, counter.data_dir, first_round_delay_s=3600)
        try:
            counter.save(2)
            proxy.set_config(LinkConfig(drop_after_request_probability=1.0))  # answers lost
            statuses: list[SyncStatus] = []
            adapter.statusChanged.connect(statuses.append)
            with qtbot.waitSignal(adapter.requestsChanged, timeout=30_000):
                adapter.sync_now()
            qtbot.waitUntil(lambda: bool(statuses) and not statuses[-1].running, timeout=10_000)
            assert statuses[-1].last_error is not None  # the round failed
            assert counter.states() == {"queued": 2}  # and what it sent waits again
        finally:
            adapter.stop()
