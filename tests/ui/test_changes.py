"""Writes say what they changed and views refresh themselves (desktop.changes, ui.worker).

The pure value first, then the worker that announces it, then real views on a real store:
a request saved through the form reaches the queue and the banner with no window in
between telling them to refresh.
"""

from __future__ import annotations

import gc
import threading

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from desktop.changes import (
    CLERKS_CHANGED,
    NOTHING,
    REQUEST_SAVED,
    SETTINGS_CHANGED,
    SYNC_RESULTS,
    Changes,
)
from rules.normalize import to_persian_digits
from tests.ui.conftest import fill_form, sample_for
from ui.banner import Banner
from ui.context import AppContext
from ui.queue_view import QueueView
from ui.request_form import RequestForm
from ui.worker import Worker

# A Qt warning (a signal to a deleted object) fails; the offscreen platform's notes about
# what it cannot do with a shown window are no news.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]


def test_changes_combine_and_say_whether_anything_changed() -> None:
    assert not NOTHING and not Changes()
    assert REQUEST_SAVED and REQUEST_SAVED.requests and REQUEST_SAVED.outbox
    both = CLERKS_CHANGED | SETTINGS_CHANGED
    assert both == Changes(clerks=True, settings=True)
    assert not both.backlog  # accounts and settings move no count in the banner
    assert (NOTHING | SYNC_RESULTS) == SYNC_RESULTS
    assert SYNC_RESULTS.backlog and REQUEST_SAVED.backlog
    with pytest.raises(TypeError):
        _ = REQUEST_SAVED | 1  # type: ignore[operator]


def test_a_write_announces_its_changes_after_its_result_and_a_failed_one_nothing(
    qtbot: QtBot,
) -> None:
    worker = Worker()
    seen: list[object] = []
    worker.changed.connect(lambda changes: seen.append(changes))

    with qtbot.waitSignal(worker.changed, timeout=5000):
        worker.submit(lambda: 42, lambda result: seen.append(result), changes=REQUEST_SAVED)
    assert seen == [42, REQUEST_SAVED]  # the caller saw its result before the views moved

    failures: list[BaseException] = []
    worker.submit(lambda: 1 / 0, on_error=failures.append, changes=REQUEST_SAVED)
    qtbot.waitUntil(lambda: bool(failures), timeout=5000)
    worker.submit(lambda: None, changes=NOTHING)  # nothing changed: nothing to announce
    worker.wait_idle()
    qtbot.waitUntil(lambda: not worker.busy, timeout=5000)
    assert seen == [42, REQUEST_SAVED]


def test_a_view_follows_only_the_parts_it_shows_and_stops_with_the_view(qtbot: QtBot) -> None:
    worker = Worker()
    view = QWidget()
    refreshed: list[str] = []
    worker.follow(view, lambda changes: changes.requests, lambda: refreshed.append("queue"))

    worker.announce(CLERKS_CHANGED)
    assert refreshed == []
    worker.announce(SYNC_RESULTS)
    assert refreshed == ["queue"]

    with qtbot.waitSignal(view.destroyed, timeout=5000):
        view.deleteLater()
    gc.collect()
    worker.announce(SYNC_RESULTS)
    assert refreshed == ["queue"]


def test_a_saved_request_reaches_the_queue_and_the_banner_by_itself(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    """Three widgets side by side, none told about the others: the form's write is enough."""
    form = RequestForm(ui_ctx)
    queue = QueueView(ui_ctx)
    banner = Banner(ui_ctx, interval_ms=3_600_000)  # its poll would hide a missing refresh
    for widget in (form, queue, banner):
        qtbot.addWidget(widget)
    queue.show()
    qtbot.waitUntil(lambda: queue.model.loaded_once and banner.backlog is not None, timeout=5000)
    assert queue.model.rowCount() == 0 and banner.backlog is not None
    assert banner.backlog.waiting == 0

    fill_form(form, sample_for(ui_ctx, "smart_card", seed=3))
    with qtbot.waitSignal(ui_ctx.worker.changed, timeout=5000) as announced:
        form.save()
    assert announced.args == [REQUEST_SAVED]
    saved = form.last_saved
    assert saved is not None
    qtbot.waitUntil(lambda: queue.model.rowCount() == 1, timeout=5000)
    qtbot.waitUntil(
        lambda: banner.backlog is not None and banner.backlog.waiting == 1, timeout=5000
    )
    assert to_persian_digits("1") in banner.waiting.text()
    assert queue.model.row_of(saved.local_id) == 0


class _Receiver(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.got: list[object] = []

    def take(self, value: object) -> None:
        self.setWindowTitle(str(value))  # a deleted widget raises here
        self.got.append(value)


def test_an_answer_for_a_window_closed_meanwhile_is_dropped_and_still_announced(
    qtbot: QtBot,
) -> None:
    worker = Worker()
    gate = threading.Event()
    gone, alive = _Receiver(), _Receiver()
    qtbot.addWidget(alive)
    worker.submit(lambda: gate.wait(5) and "list", gone.take, changes=SETTINGS_CHANGED)
    worker.submit(lambda: "answer", alive.take)
    with qtbot.waitSignal(gone.destroyed, timeout=5000):
        gone.deleteLater()
    with qtbot.waitSignal(worker.changed, timeout=5000) as announced:
        gate.set()
    assert announced.args == [SETTINGS_CHANGED]  # the write happened all the same
    qtbot.waitUntil(lambda: alive.got == ["answer"], timeout=5000)
