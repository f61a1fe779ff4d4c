"""The sync adapter in a running Qt application: its own thread, signals, backoff, clean stop."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from desktop.changes import CLERKS_CHANGED, REQUEST_SAVED, SYNC_RESULTS, Changes
from sync.engine import BatchSending, SyncEvent
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import RunningServer
from tests.sync.conftest import Counter
from ui.sync_adapter import SyncAdapter, SyncStatus
from ui.worker import Worker

# A Qt warning (a thread destroyed while running, a timer stopped from another thread) fails.
pytestmark = pytest.mark.qt_log_level_fail("WARNING")


@pytest.fixture
def adapter(counter: Counter, server: RunningServer) -> Iterator[SyncAdapter]:
    counter.enrol(server)
    sync = SyncAdapter(counter.store, counter.data_dir, first_round_delay_s=3600)
    yield sync
    sync.stop()


def test_a_saved_request_goes_from_queued_to_accepted_with_the_official_code(
    qtbot: QtBot, counter: Counter, adapter: SyncAdapter
) -> None:
    statuses: list[SyncStatus] = []
    adapter.statusChanged.connect(statuses.append)
    [saved] = counter.save(1)
    assert counter.rows("SELECT state, tracking_code FROM requests") == [("queued", None)]

    with qtbot.waitSignal(adapter.requestsChanged, timeout=30_000):
        adapter.nudge()
    state, code = counter.rows("SELECT state, tracking_code FROM requests WHERE id = ?", saved.id)[
        0
    ]
    assert state == "accepted" and code.startswith("PK-")
    qtbot.waitUntil(lambda: bool(statuses) and not statuses[-1].running, timeout=10_000)
    assert any(s.running for s in statuses)  # the banner saw the round start
    last = statuses[-1]
    assert (last.waiting, last.attention, last.needs_reenrolment) == (0, 0, False)
    assert last.last_contact is not None and last.last_error is None

    adapter.stop()
    assert not adapter._thread.isRunning()


def test_a_nudge_waits_out_the_backoff_but_f5_does_not(
    qtbot: QtBot, counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    counter.queue.update_state(next_try_at=later, failures=3)  # a backoff from before a restart
    adapter = SyncAdapter(counter.store, counter.data_dir, first_round_delay_s=3600)
    try:
        counter.save(1)
        adapter.nudge()
        assert adapter._timer.remainingTime() > 9 * 60 * 1000  # not before the backoff ends
        with qtbot.waitSignal(adapter.requestsChanged, timeout=30_000):
            adapter.sync_now()
        assert counter.states() == {"accepted": 1}
    finally:
        adapter.stop()


def test_stop_during_a_hung_call_ends_the_thread_at_once_and_keeps_the_request(
    qtbot: QtBot, counter: Counter, server: RunningServer
) -> None:
    with FaultProxy("127.0.0.1", server.port) as proxy:
        counter.enrol(server, url=proxy.url_for())
        adapter = SyncAdapter(counter.store, counter.data_dir, first_round_delay_s=3600)
        counter.save(2)
        proxy.set_config(LinkConfig(blackhole=True))  # the link hangs: no answer, no error
        sending: list[SyncEvent] = []
        adapter.syncEvent.connect(sending.append)
        adapter.sync_now()
        qtbot.waitUntil(lambda: any(isinstance(e, BatchSending) for e in sending), timeout=20_000)
        started = time.monotonic()
        adapter.stop()
        assert time.monotonic() - started < 5  # not the 30 s read timeout
        assert not adapter._thread.isRunning()
        assert counter.outbox() == {"queued": 2}  # back in the queue, nothing lost


def test_a_write_that_fills_the_outbox_nudges_the_sync_and_its_results_are_announced(
    qtbot: QtBot, counter: Counter, server: RunningServer
) -> None:
    """The adapter follows the worker's changes: no window tells it a request was saved."""
    counter.enrol(server)
    worker = Worker()
    announced: list[Changes] = []
    worker.changed.connect(announced.append)
    adapter = SyncAdapter(counter.store, counter.data_dir, first_round_delay_s=3600, worker=worker)
    try:
        worker.announce(CLERKS_CHANGED)  # nothing to send: the hour-long wait stands
        assert adapter._timer.remainingTime() > 59 * 60 * 1000
        counter.save(1)
        with qtbot.waitSignal(adapter.requestsChanged, timeout=30_000):
            worker.announce(REQUEST_SAVED)
            assert adapter._timer.remainingTime() < 60 * 1000  # a nudge: seconds, not the hour
        assert counter.states() == {"accepted": 1}
        assert announced[-1] == SYNC_RESULTS  # the queue and the banner follow from here
    finally:
        adapter.stop()
