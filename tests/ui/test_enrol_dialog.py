"""Connecting a counter PC to the central server from the window, against the real server.

One server subprocess for the module; every test has an office of its own there, and a
counter PC (a copy of the UI's set-up store) rewritten to that office with a new device
id, so no test sees another's codes, counters or requests. The device token goes to the
0600 file, never to a developer's keyring.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from desktop.config import Settings
from desktop.db.engine import DB_FILENAME, Store
from desktop.office import this_device
from desktop.synccli import (
    ENROL_CANCELLED,
    ENROL_INVALID_CODE,
    ENROL_TIMEOUT,
    ENROL_TLS,
    ENROL_UNREACHABLE,
    enrol_device,
)
from rules.bidi import strip_isolates
from rules.normalize import to_persian_digits
from sync.credentials import credential_store
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import Office, RunningServer, start_server
from tests.ui.conftest import CLERK_USER, MANAGER_USER, MakeCtx, sample_for
from ui.context import AppContext, attach_sync
from ui.enrol_dialog import EnrolDialog, grouped, normalize_code, normalize_server_url
from ui.mainwindow import MainWindow
from ui.sync_adapter import SyncAdapter

# A Qt warning (a thread left running, a signal to a dead object) fails the test; the
# offscreen platform's notes about what it cannot do with a shown window are no news.
pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]

SERVER_OFFICE_NAME = "دفتر پیشخوان ۴۲ — کرج (مرکزی)"


@pytest.fixture(autouse=True)
def _file_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PISHKHAN_CREDENTIALS", "file")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with start_server(tmp_path_factory.mktemp("enrol-server")) as running:
        yield running


@pytest.fixture
def office(server: RunningServer) -> Office:
    return server.add_office(name=SERVER_OFFICE_NAME)


@pytest.fixture
def pc_store(
    store_templates: dict[str, Path], ui_data_dir: Path, office: Office
) -> Iterator[Store]:
    """The UI's set-up office store, made this test's office with a device id of its own."""
    for path in store_templates["office"].iterdir():
        if path.name.startswith(DB_FILENAME):
            shutil.copy2(path, ui_data_dir / path.name)
    with contextlib.closing(sqlite3.connect(ui_data_dir / DB_FILENAME)) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("UPDATE offices SET code = ?", (office.code,))
        conn.execute("UPDATE devices SET office_code = ?, id = ?", (office.code, str(uuid.uuid4())))
        conn.commit()
    store = Store.open(ui_data_dir)
    yield store
    store.close()


def _stop_sync(ctx: AppContext) -> None:
    if ctx.sync is not None:
        ctx.sync.stop()


@pytest.fixture
def pc(make_ctx: MakeCtx, pc_store: Store) -> Iterator[AppContext]:
    """The manager logged in on the counter PC; its sync (if one gets attached) stopped after."""
    ctx = make_ctx(pc_store, clerk=MANAGER_USER)
    yield ctx
    _stop_sync(ctx)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request_state(ctx: AppContext, request_id: str) -> str:
    with contextlib.closing(ctx.store.raw_read()) as conn:
        return str(
            conn.execute("SELECT state FROM requests WHERE id = ?", (request_id,)).fetchone()[0]
        )


def enrolled_by(ctx: AppContext) -> list[int | None]:
    with contextlib.closing(ctx.store.raw_read()) as conn:
        return [
            row[0]
            for row in conn.execute(
                "SELECT clerk_id FROM audit_events WHERE action = 'device_enrolled'"
            )
        ]


def assert_nothing_changed(ctx: AppContext) -> None:
    device = this_device(ctx.store)
    assert device is not None and not device.enrolled and device.server_url is None
    assert Settings(ctx.data_dir).get("server_url") == ""
    assert ctx.settings.get("server_url") == ""
    assert credential_store(ctx.data_dir, device.id).get() is None
    assert ctx.sync is None
    assert enrolled_by(ctx) == []


def open_dialog(
    qtbot: QtBot, ctx: AppContext, *, connect_timeout_s: float = 10.0, read_timeout_s: float = 20.0
) -> EnrolDialog:
    dialog = EnrolDialog(ctx, connect_timeout_s=connect_timeout_s, read_timeout_s=read_timeout_s)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def finish(qtbot: QtBot, dialog: EnrolDialog, timeout_ms: int = 15_000) -> None:
    qtbot.waitUntil(lambda: not dialog.busy, timeout=timeout_ms)


# --------------------------------------------------------------------------- the code


def test_a_code_is_read_as_typed_persian_digits_spaces_dashes_and_the_persian_layout() -> None:
    assert normalize_code(" abcd efgh-jk۲۳ ") == "ABCDEFGHJK23"
    assert normalize_code("AB\u200cCD—EF\u200fGH") == "ABCDEFGH"
    # The same keys pressed with the Persian layout on: A S D F → ش س ی ب.
    assert normalize_code("شسیب-ظطزر") == "ASDFZXCV"
    assert grouped("ABCDEFGHJK23") == "ABCD-EFGH-JK23"
    assert normalize_server_url(" sync.example.ir/ ") == "https://sync.example.ir"
    assert normalize_server_url("http://۱۲۷.۰.۰.۱:۸۰۸۰") == "http://127.0.0.1:8080"


# --------------------------------------------------------------------------- success


def test_manager_connects_from_the_office_menu_and_a_waiting_request_is_accepted(
    qtbot: QtBot, server: RunningServer, office: Office, pc: AppContext
) -> None:
    saved = pc.intake.save(pc.clerk, sample_for(pc, "bill_payment"))  # type: ignore[arg-type]
    assert request_state(pc, saved.id) == "queued"
    window = MainWindow(pc)
    qtbot.addWidget(window)
    window.show()
    assert window.act_enrol.isVisible()
    # "Connect…" offered in the banner too (painted once the backlog is read).
    qtbot.waitUntil(lambda: window.banner.enrol.isVisibleTo(window.banner), timeout=5_000)

    window.act_enrol.trigger()
    dialog = window.findChild(EnrolDialog)
    assert dialog is not None and dialog.isVisible()
    # As a clerk would type them: Persian digits, lower case, spaces instead of dashes.
    dialog.server.setText(to_persian_digits(server.base_url))
    code = server.enrolment_code(office.code)
    dialog.code.setText(to_persian_digits(code.lower().replace("-", " ")))
    assert grouped(normalize_code(code)) in dialog.code_preview.text()
    dialog.connect_button.click()
    assert dialog.busy and dialog.progress.isVisibleTo(dialog)
    finish(qtbot, dialog)

    assert dialog.result_info is not None, dialog.status.text()
    assert SERVER_OFFICE_NAME in dialog.status.text()  # the office as the server names it
    assert dialog.cancel_button.text() == "بستن"
    device = this_device(pc.store)
    assert device is not None and device.enrolled and device.server_url == server.base_url
    assert pc.device == device
    assert pc.settings.get("server_url") == server.base_url  # the window's own settings
    assert Settings(pc.data_dir).get("server_url") == server.base_url  # and on disk
    assert credential_store(pc.data_dir, device.id).get()
    assert pc.clerk is not None and enrolled_by(pc) == [pc.clerk.id]

    # The sync started at once, without restarting the program, and the window follows it.
    assert isinstance(pc.sync, SyncAdapter)
    qtbot.waitUntil(lambda: request_state(pc, saved.id) == "accepted", timeout=30_000)
    qtbot.waitUntil(
        lambda: (
            window.banner.sync_status is not None
            and window.banner.sync_status.last_contact is not None
        ),
        timeout=10_000,
    )
    assert not window.banner.enrol.isVisibleTo(window.banner)
    dialog.cancel_button.click()
    assert not dialog.isVisible()


def test_after_a_revoke_the_banner_offers_enrolment_and_the_new_adapter_takes_over(
    qtbot: QtBot, server: RunningServer, office: Office, pc: AppContext
) -> None:
    assert pc.device is not None
    enrol_device(
        pc.store, pc.data_dir, server_url=server.base_url, code=server.enrolment_code(office.code)
    )
    server.admin("POST", f"/v1/admin/devices/{pc.device.id}/revoke").raise_for_status()
    pc.settings = Settings(pc.data_dir)  # as a restart reads it
    saved = pc.intake.save(pc.clerk, sample_for(pc, "bill_payment"))  # type: ignore[arg-type]
    attach_sync(pc)
    old = pc.sync
    assert old is not None
    window = MainWindow(pc)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.banner.enrol.isVisibleTo(window.banner), timeout=20_000)
    assert "دوباره" in window.banner.enrol.text()
    assert request_state(pc, saved.id) == "queued"  # kept while the PC is refused

    window.banner.enrol.click()
    dialog = window.findChild(EnrolDialog)
    assert dialog is not None
    assert dialog.server.text() == server.base_url  # prefilled from the settings
    dialog.code.setText(server.enrolment_code(office.code))
    dialog.connect_button.click()
    finish(qtbot, dialog)
    assert dialog.result_info is not None, dialog.status.text()

    assert pc.sync is not None and pc.sync is not old
    assert not old._thread.isRunning()  # the adapter of the revoked token is gone
    qtbot.waitUntil(lambda: request_state(pc, saved.id) == "accepted", timeout=30_000)
    qtbot.waitUntil(lambda: not window.banner.enrol.isVisibleTo(window.banner), timeout=10_000)


# --------------------------------------------------------------------------- refusals


def test_a_used_code_is_refused_in_persian_and_nothing_changes(
    qtbot: QtBot, server: RunningServer, office: Office, pc: AppContext
) -> None:
    code = server.enrolment_code(office.code)
    spent = server.session.post(
        server.url("/v1/enrol"),
        timeout=30,
        json={
            "code": code,
            "device_id": str(uuid.uuid4()),
            "office_code": office.code,
            "counter_no": 7,
            "device_name": "PC-7",
            "app_version": "0.1.0",
        },
    )
    spent.raise_for_status()

    dialog = open_dialog(qtbot, pc)
    dialog.server.setText(server.base_url)
    dialog.code.setText(code)
    dialog.connect_button.click()
    finish(qtbot, dialog)
    assert dialog.status.text() == ENROL_INVALID_CODE.fa
    assert dialog.status.property("role") == "error"
    assert dialog.result_info is None and dialog.connect_button.isEnabled()
    assert dialog.focusWidget() is dialog.code
    assert_nothing_changed(pc)


@pytest.mark.parametrize("refusal", ["office_mismatch", "counter_taken"])
def test_a_code_of_another_office_or_a_taken_counter_is_said_plainly(
    qtbot: QtBot, server: RunningServer, office: Office, pc: AppContext, refusal: str
) -> None:
    if refusal == "office_mismatch":
        code = server.enrolment_code(server.add_office().code)
        expected = "برای دفتر دیگری صادر شده"
        detail = to_persian_digits(office.code)
    else:
        server.enrol(office.code, counter_no=1)  # another PC holds counter 1 already
        code = server.enrolment_code(office.code)
        expected = "به رایانهٔ دیگری داده شده"
        detail = "باجهٔ ۱ "
    dialog = open_dialog(qtbot, pc)
    dialog.server.setText(server.base_url)
    dialog.code.setText(code)
    dialog.connect_button.click()
    finish(qtbot, dialog)
    assert expected in dialog.status.text() and detail in dialog.status.text()
    assert_nothing_changed(pc)


def test_a_closed_port_is_told_at_once_and_nothing_changes(qtbot: QtBot, pc: AppContext) -> None:
    dialog = open_dialog(qtbot, pc)
    dialog.server.setText(f"http://127.0.0.1:{closed_port()}")
    dialog.code.setText("ABCD-EFGH-JKLM")
    started = time.monotonic()
    dialog.connect_button.click()
    finish(qtbot, dialog, timeout_ms=5_000)
    assert time.monotonic() - started < 5
    assert dialog.status.text() == ENROL_UNREACHABLE.fa
    assert dialog.focusWidget() is dialog.server
    assert_nothing_changed(pc)


def test_a_server_without_tls_fails_as_a_certificate_problem_with_the_chosen_ca_file(
    qtbot: QtBot,
    server: RunningServer,
    office: Office,
    pc: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "no-such.pem")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (missing, "")))
    dialog = open_dialog(qtbot, pc)
    dialog.server.setText(f"https://127.0.0.1:{server.port}")  # plain HTTP behind it
    dialog.code.setText(server.enrolment_code(office.code))
    dialog.choose_ca.click()
    assert dialog.ca_bundle.text() == missing
    dialog.connect_button.click()
    assert not dialog.busy  # refused before any network: the file is not there
    assert dialog.status.text() == "پروندهٔ گواهی پیدا نشد."

    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (certifi.where(), ""))
    )
    dialog.choose_ca.click()
    dialog.connect_button.click()
    finish(qtbot, dialog)
    assert dialog.status.text() == ENROL_TLS.fa
    assert_nothing_changed(pc)
    assert pc.settings.get("ca_bundle") == ""


# --------------------------------------------------------------------------- off the GUI thread


def test_a_hung_link_leaves_the_window_responsive_and_cancel_ends_the_call(
    qtbot: QtBot, server: RunningServer, office: Office, pc: AppContext
) -> None:
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig(blackhole=True)) as proxy:
        dialog = open_dialog(qtbot, pc)
        dialog.server.setText(proxy.url_for())
        dialog.code.setText(server.enrolment_code(office.code))
        dialog.connect_button.click()
        timer.start()
        # The call hangs at the proxy while the event loop keeps turning.
        qtbot.waitUntil(
            lambda: proxy.stats().connections_accepted >= 1 and len(ticks) >= 15, timeout=5_000
        )
        timer.stop()
        assert dialog.busy and dialog.progress.isVisibleTo(dialog)
        assert not dialog.connect_button.isEnabled() and dialog.cancel_button.isEnabled()

        dialog.reject()  # Esc: cancels the call, the window stays
        assert dialog.isVisible()
        started = time.monotonic()
        finish(qtbot, dialog, timeout_ms=5_000)
        assert time.monotonic() - started < 3  # not the read timeout
    assert dialog.isVisible()
    assert dialog.status.text() == ENROL_CANCELLED.fa
    assert dialog.connect_button.isEnabled()
    assert_nothing_changed(pc)
    dialog.cancel_button.click()  # not busy now: Cancel closes
    assert not dialog.isVisible()


def test_a_link_that_never_answers_times_out_with_its_own_message(
    qtbot: QtBot, server: RunningServer, office: Office, pc: AppContext
) -> None:
    with FaultProxy("127.0.0.1", server.port, config=LinkConfig(blackhole=True)) as proxy:
        dialog = open_dialog(qtbot, pc, connect_timeout_s=1.0, read_timeout_s=1.0)
        dialog.server.setText(proxy.url_for())
        dialog.code.setText(server.enrolment_code(office.code))
        dialog.connect_button.click()
        finish(qtbot, dialog, timeout_ms=10_000)
    assert dialog.status.text() == ENROL_TIMEOUT.fa
    assert_nothing_changed(pc)


# --------------------------------------------------------------------------- who may


def test_a_clerk_is_not_offered_enrolment_and_the_core_refuses_one(
    qtbot: QtBot, make_ctx: MakeCtx, pc_store: Store
) -> None:
    ctx = make_ctx(pc_store, clerk=CLERK_USER)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    assert not window.act_enrol.isVisible()
    assert window.act_password.isVisible()
    assert not window.banner.enrol.isVisibleTo(window.banner)
    window.enrol()
    assert window.findChild(EnrolDialog) is None

    dialog = open_dialog(qtbot, ctx)
    dialog.server.setText(f"http://127.0.0.1:{closed_port()}")
    dialog.code.setText("ABCD-EFGH-JKLM")
    dialog.connect_button.click()
    finish(qtbot, dialog)
    assert "فقط از مدیر دفتر" in dialog.status.text()
    assert_nothing_changed(ctx)


def test_fields_are_checked_before_any_call(qtbot: QtBot, pc: AppContext) -> None:
    dialog = open_dialog(qtbot, pc)
    dialog.connect_button.click()
    assert not dialog.busy and dialog.focusWidget() is dialog.server
    dialog.server.setText("https://sync.example.ir")
    dialog.connect_button.click()
    assert not dialog.busy and dialog.focusWidget() is dialog.code
    dialog.code.setText("ABCD-EF?H")
    dialog.connect_button.click()
    assert not dialog.busy and "لاتین" in dialog.status.text()
    assert_nothing_changed(pc)


# --------------------------------------------------------------------------- the queue view


def test_the_queue_view_shows_a_request_go_from_queued_to_accepted_with_its_code(
    qtbot: QtBot, server: RunningServer, office: Office, pc: AppContext
) -> None:
    """Issue 3: with the server running, the clerk sees the official code arrive in the queue."""
    from ui.queue_model import Column

    enrol_device(
        pc.store, pc.data_dir, server_url=server.base_url, code=server.enrolment_code(office.code)
    )
    pc.settings = Settings(pc.data_dir)
    window = MainWindow(pc)
    qtbot.addWidget(window)
    window.show()
    model = window.queue.model
    saved = pc.intake.save(pc.clerk, sample_for(pc, "bill_payment"))  # type: ignore[arg-type]
    window.queue.refresh()

    def shown(column: Column) -> str:
        row = model.row_of(saved.local_id)
        if row is None or row < 0:
            return ""
        return strip_isolates(str(model.data(model.index(row, column))))

    qtbot.waitUntil(lambda: shown(Column.STATE) == "در صف ارسال", timeout=10_000)
    assert shown(Column.TRACKING) in ("", "—")
    attach_sync(pc)  # the PC is enrolled: automatic rounds start
    assert pc.sync is not None
    window._listen_to_sync()
    qtbot.waitUntil(lambda: shown(Column.STATE) == "پذیرفته شد", timeout=30_000)
    code = shown(Column.TRACKING)
    assert code.startswith("PK-")
    with contextlib.closing(pc.store.raw_read()) as conn:
        stored = conn.execute(
            "SELECT tracking_code FROM requests WHERE id = ?", (saved.id,)
        ).fetchone()[0]
    assert code == stored
