"""The updater inside the counter program: the main window's strip says a new version is
ready once the runner (on its own thread, against the real server) has staged it; restart
now starts the installed program again; a save and a print hold the download; the centre's
minimum, as the real server answers a heartbeat, becomes a plain "must update"."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import pytest
from pytestqt.qtbot import QtBot

from desktop.updater import UpdateRunner, work_waiting
from sync.events import HeartbeatSent
from sync.protocol import Heartbeat, HeartbeatResponse
from tests.support.server import start_server
from tests.ui.conftest import fill_form, sample_for
from tests.ui.conftest import make_ctx as make_ctx  # fixtures, re-exported
from tests.ui.conftest import manager_ctx as manager_ctx
from tests.ui.conftest import office_store as office_store
from tests.ui.conftest import persian_ui as persian_ui
from tests.ui.conftest import store_templates as store_templates
from tests.ui.conftest import themed_app as themed_app
from tests.ui.conftest import ui_ctx as ui_ctx
from tests.ui.conftest import ui_data_dir as ui_data_dir
from tests.updates.conftest import Published
from ui import printing
from ui.context import AppContext
from ui.mainwindow import MainWindow
from updates.gate import UpdateGate
from updates.policy import READY_TO_RESTART


def _runner(ctx: AppContext, published: Published, tmp_path: Path) -> UpdateRunner:
    root = tmp_path / "Programs" / "Pishkhan"
    shutil.copytree(published.old, root, symlinks=True)
    return UpdateRunner(
        root=root,
        installed_version="1.0.0",
        base_url=published.base_url,
        trusted_root=published.repo.trusted_root(),
        waiting=lambda: work_waiting(ctx.store),
        check_every_s=0.0,
    )


@pytest.fixture
def window_with_updates(
    manager_ctx: AppContext, published: Published, tmp_path: Path, qtbot: QtBot
) -> Iterator[MainWindow]:
    manager_ctx.updates = _runner(manager_ctx, published, tmp_path)
    window = MainWindow(manager_ctx)
    qtbot.addWidget(window)
    window.show()
    yield window
    manager_ctx.updates.stop()


def test_the_strip_asks_once_staged_and_restart_now_starts_the_installed_program(
    window_with_updates: MainWindow, manager_ctx: AppContext, qtbot: QtBot
) -> None:
    window, runner = window_with_updates, manager_ctx.updates
    assert runner is not None
    notice = window.update_notice
    assert not notice.isVisible()
    runner.start()
    runner.idle()  # what a sync round that left nothing waiting does
    qtbot.waitUntil(notice.isVisible, timeout=60_000)
    assert notice.label.text() == READY_TO_RESTART.fa
    assert notice.postpone_button.isVisible()  # the manager may postpone
    started: list[list[str]] = []
    window._updates.start_detached = lambda command: started.append(command) or True
    notice.restart_button.click()
    assert not window.isVisible()
    assert started == [[str(runner.root / "pishkhan")]]


class _WatchedGate(UpdateGate):
    """The real gate, counting the clerk's work it was told about."""

    def __init__(self, waiting: Callable[[], int]) -> None:
        super().__init__(waiting)
        self.entered = 0

    @contextmanager
    def busy(self) -> Iterator[None]:
        self.entered += 1
        with super().busy():
            assert not self.may_continue()
            yield


def test_a_save_and_a_print_hold_the_download_and_the_saved_request_waits_first(
    window_with_updates: MainWindow, manager_ctx: AppContext, qtbot: QtBot, tmp_path: Path
) -> None:
    runner = manager_ctx.updates
    assert runner is not None
    gate = runner.gate = _WatchedGate(lambda: work_waiting(manager_ctx.store))
    assert gate.may_continue()
    form = window_with_updates.form
    fill_form(form, sample_for(manager_ctx, "bill_payment"))
    with qtbot.waitSignal(form.saved, timeout=10_000) as saved:
        form.save()
    assert gate.entered == 1
    # The saved request now waits to be sent: the line is its, not the update's.
    assert work_waiting(manager_ctx.store) == 1
    assert not gate.may_continue()
    done: list[Path | None] = []
    pdf = tmp_path / "receipt.pdf"
    printing.print_receipt(None, manager_ctx, saved.args[0].id, to_pdf=pdf, on_done=done.append)
    qtbot.waitUntil(lambda: done == [pdf], timeout=10_000)
    assert gate.entered == 2


def test_the_centres_minimum_from_a_real_heartbeat_says_plainly_it_must_update(
    ui_ctx: AppContext, qtbot: QtBot, tmp_path: Path
) -> None:
    window = MainWindow(ui_ctx)
    qtbot.addWidget(window)
    notice = window.update_notice
    answers = {}
    for name, after in (
        ("soon", "2099-01-01T00:00:00+00:00"),
        ("past", "2026-01-01T00:00:00+00:00"),
    ):
        args = ("--minimum-version", "9.0.0", "--minimum-version-after", after)
        with start_server(tmp_path / name, extra_args=args) as server:
            device = server.enrol(server.add_office().code)
            answer = server.session.post(
                server.url("/v1/heartbeat"),
                data=msgspec.json.encode(Heartbeat(queue_depth=0, app_version="0.1.0")),
                headers={**device.headers, "Content-Type": "application/json"},
                timeout=30,
            )
        assert answer.status_code == 200, answer.text
        answers[name] = msgspec.json.decode(answer.content, type=HeartbeatResponse)
    for name in ("soon", "past"):
        got = answers[name]
        # As the sync adapter re-emits the engine's event.
        window._updates._on_sync_event(
            HeartbeatSent(0, got.minimum_version, got.minimum_version_after)
        )
        if name == "soon":
            assert not notice.isHidden() and "۹.۰.۰" in notice.label.text()
            assert not notice.postpone_button.isVisibleTo(window)
            notice.close_button.click()  # put away: a reminder only
            assert notice.isHidden()
    assert not notice.isHidden() and notice.required
    assert "باید" in notice.label.text() and "۹.۰.۰" in notice.label.text()
    # No postponing it, no putting it away; nothing staged, so no restart button either.
    for button in (notice.postpone_button, notice.close_button, notice.restart_button):
        assert not button.isVisibleTo(window)
