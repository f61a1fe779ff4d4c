"""The whole program as a clerk meets it: set-up, login, a request, the queue, languages.

Also the program's entry (``run_gui``) in its smoke and screenshot modes, a database
from a newer program, and the committed translations.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from desktop import __version__
from desktop.clerks import AccountLocked, LoginFailed
from desktop.db.engine import DB_FILENAME, Store
from desktop.queue import QueueFilter
from rules.bidi import strip_isolates
from rules.normalize import to_persian_digits
from tests.ui.conftest import CLERK_USER, MANAGER_USER, PASSWORD, MakeCtx, fill_form, sample_for
from ui.about import AboutDialog
from ui.app import Shell, run_gui
from ui.banner import Banner
from ui.clerks_dialog import ClerksDialog
from ui.context import AppContext
from ui.login import LoginAccess, LoginDialog
from ui.mainwindow import MainWindow
from ui.theme import resource_path

ROOT = Path(__file__).resolve().parents[2]
TS = resource_path("translations", "pishkhan_fa.ts")
QM = resource_path("translations", "pishkhan_fa.qm")
BIN = Path(sys.executable).parent


def shown_in_queue(window: MainWindow, reference: str) -> bool:
    """Whether any table in the queue tab shows this reference (either digit set)."""
    wanted = {reference, to_persian_digits(reference)}
    for view in window.queue.findChildren(QAbstractItemView):
        model = view.model()
        if model is None:
            continue
        for row in range(model.rowCount()):
            for col in range(model.columnCount()):
                if strip_isolates(str(model.index(row, col).data())) in wanted:
                    return True
    return False


def test_first_start_setup_login_request_queue(
    qtbot: QtBot, fresh_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    shell = Shell(fresh_ctx, QApplication.instance())  # type: ignore[arg-type]
    shell.start()
    wizard = shell.setup
    assert wizard is not None and shell.login is None
    qtbot.addWidget(wizard)
    wizard.office_code.setText("۱۲۳۴")  # either digit set
    wizard.office_name.setText("دفتر پیشخوان ۱۲۳۴ — همدان")
    wizard.counter_no.setText("۲")
    wizard.username.setText("modir")
    wizard.display_name.setText("مریم رحیمی")
    wizard.password.setText("رمز-عبور-۱۴۰۵")
    wizard.password_again.setText("رمز-عبور-1405")  # the same keys on the other layout
    wizard.finish.click()
    qtbot.waitUntil(lambda: shell.login is not None, timeout=5000)
    assert fresh_ctx.device is not None
    assert fresh_ctx.device.office_code == "1234" and fresh_ctx.device.counter_no == 2

    login = shell.login
    assert login is not None
    qtbot.addWidget(login)
    assert "همدان" in login.findChild(type(login.error), "loginOffice").text()
    login.username.setText("modir")
    login.password.setText("رمز-عبور-1405")
    login.login_button.click()
    qtbot.waitUntil(lambda: shell.main is not None, timeout=5000)
    window = shell.main
    assert window is not None
    qtbot.addWidget(window)
    assert window.act_clerks.isVisible()  # a manager
    assert "مریم رحیمی" in window.clerk_label.text()

    form = window.form
    form.picker.search.setText("کارت هوشمند")
    assert form.picker.visible_codes() == ["smart_card"]
    form.picker.choose_current()
    fill_form(form, sample_for(fresh_ctx, "smart_card", seed=11))
    with qtbot.waitSignal(form.saved, timeout=5000) as saved:
        form.save()
    reference = saved.args[0].reference
    assert reference.startswith("1234-2-")
    assert fresh_ctx.queries.ids(QueueFilter(text=reference))
    window.show_queue()
    qtbot.waitUntil(lambda: shown_in_queue(window, reference), timeout=5000)

    # Logging out returns to the login window.
    window.logout()
    assert shell.main is None and shell.login is not None and shell.login.isVisible()
    qtbot.addWidget(shell.login)


def test_login_messages_wrong_password_then_locked(qtbot: QtBot, ui_ctx: AppContext) -> None:
    login = LoginDialog(LoginAccess.of(ui_ctx))
    qtbot.addWidget(login)
    login.show()
    login.username.setText(CLERK_USER)
    for attempt in range(5):
        login.password.setText(f"not-the-password-{attempt}")
        login.try_login()
        qtbot.waitUntil(lambda: not login.busy, timeout=5000)
        if attempt < 4:
            assert login.error.text() == LoginFailed().message.fa
            assert login.password.text() == ""
    assert login.error.text() == AccountLocked(5).message.fa
    # Even the right password waits out the lock.
    login.password.setText(PASSWORD)
    login.try_login()
    qtbot.waitUntil(lambda: not login.busy, timeout=5000)
    assert "قفل" in login.error.text()
    assert login.isVisible()


def test_login_with_persian_digits_in_the_password(qtbot: QtBot, ui_ctx: AppContext) -> None:
    manager = ui_ctx.clerks.list()[0]
    ui_ctx.clerks.add_clerk(manager, "ali", "علی", "password-1403")
    login = LoginDialog(LoginAccess.of(ui_ctx))
    qtbot.addWidget(login)
    login.username.setText("ALI")
    login.password.setText("password-۱۴۰۳")
    with qtbot.waitSignal(login.loggedIn, timeout=5000) as signal:
        login.try_login()
    assert signal.args[0].username == "ali"


def test_language_switch_rebuilds_in_english_and_back(qtbot: QtBot, ui_ctx: AppContext) -> None:
    shell = Shell(ui_ctx, QApplication.instance())  # type: ignore[arg-type]
    clerk = ui_ctx.clerk
    assert clerk is not None
    persian = shell.show_main(clerk)
    qtbot.addWidget(persian)
    assert persian.tabs.tabText(0) == "درخواست جدید"
    assert persian.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert not persian.act_clerks.isVisible()  # a clerk, not the manager

    persian.change_language("en")
    english = shell.main
    assert english is not None and english is not persian
    qtbot.addWidget(english)
    assert ui_ctx.settings.get("language") == "en"
    assert english.tabs.tabText(0) == "New request"
    assert english.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert english.form.picker.search.placeholderText().startswith("Search services")
    # Qt's own strings follow too.
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"

    english.change_language("fa")
    again = shell.main
    assert again is not None
    qtbot.addWidget(again)
    assert again.tabs.tabText(0) == "درخواست جدید"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") != "Cancel"


def test_banner_counts_what_waits_and_what_needs_attention(
    qtbot: QtBot, populated_ctx: AppContext
) -> None:
    banner = Banner(populated_ctx, interval_ms=60_000)
    qtbot.addWidget(banner)
    qtbot.waitUntil(lambda: banner.backlog is not None, timeout=5000)
    expected = populated_ctx.queries.backlog()
    assert banner.backlog == expected
    assert expected.waiting > 0
    assert to_persian_digits(str(expected.waiting)) in banner.waiting.text()


def test_manager_adds_and_disables_a_clerk(qtbot: QtBot, manager_ctx: AppContext) -> None:
    dialog = ClerksDialog(manager_ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: len(dialog.clerks()) == 2, timeout=5000)
    dialog.username.setText("reza")
    dialog.display_name.setText("رضا کاظمی")
    dialog.password.setText("short")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=5000)
    assert "دست‌کم" in dialog.error.text()  # the core's message, in Persian
    dialog.password.setText("long-enough-1")
    dialog.add_button.click()
    qtbot.waitUntil(lambda: len(dialog.clerks()) == 3, timeout=5000)
    dialog.select("reza")
    assert dialog.toggle.isEnabled()
    dialog.toggle.click()
    qtbot.waitUntil(
        lambda: any(c.username == "reza" and not c.active for c in dialog.clerks()), timeout=5000
    )
    dialog.select(MANAGER_USER)
    assert not dialog.toggle.isEnabled()  # not oneself


def test_about_shows_version_and_font_licence(qtbot: QtBot, ui_ctx: AppContext) -> None:
    about = AboutDialog(ui_ctx)
    qtbot.addWidget(about)
    assert to_persian_digits(__version__) in about.version.text()
    assert "Vazirmatn" in about.findChild(type(about.version), "aboutLicence").text()
    assert resource_path("fonts", "OFL.txt").is_file()


def test_run_gui_smoke(tmp_path: Path) -> None:
    assert run_gui(tmp_path / "smoke", smoke=True) == 0
    assert (tmp_path / "smoke" / DB_FILENAME).is_file()


def test_run_gui_screenshot(tmp_path: Path, populated_store: Store, ui_data_dir: Path) -> None:
    populated_store.close()
    target = tmp_path / "shot.png"
    assert run_gui(ui_data_dir, screenshot=target, lang="en") == 0
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1280, 800)


def test_newer_database_refused_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "newer"
    Store.open(data).close()
    db = data / DB_FILENAME
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    conn.close()
    before = db.read_bytes()
    assert run_gui(data, smoke=True) == 2
    assert "from_the_future" in capsys.readouterr().err
    assert db.read_bytes() == before


def test_committed_translations_are_complete_and_compiled(tmp_path: Path) -> None:
    lupdate, lrelease = BIN / "pyside6-lupdate", BIN / "pyside6-lrelease"
    if not lupdate.exists() or not lrelease.exists():
        pytest.skip("pyside6-lupdate/lrelease not installed")
    # Every UI string in the code is in the .ts, with its Persian translation.
    fresh = tmp_path / "pishkhan_fa.ts"
    shutil.copy(TS, fresh)
    sources = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").glob("*.py"))
    subprocess.run(
        [str(lupdate), *sources, "-no-obsolete", "-locations", "none", "-ts", str(fresh)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    missing = [
        message.findtext("source")
        for message in ET.parse(fresh).getroot().iter("message")
        if message.find("translation") is not None
        and message.find("translation").get("type") in ("unfinished", "vanished")  # type: ignore[union-attr]
    ]
    assert missing == [], "untranslated UI strings: run resources/translations/update.py"
    # The committed .qm is what lrelease makes of the committed .ts.
    compiled = tmp_path / "pishkhan_fa.qm"
    subprocess.run([str(lrelease), str(TS), "-qm", str(compiled)], check=True, capture_output=True)
    assert compiled.read_bytes() == QM.read_bytes(), "stale .qm: run update.py"


def test_make_ctx_is_reusable(make_ctx: MakeCtx, office_store: Store) -> None:
    ctx = make_ctx(office_store, clerk=MANAGER_USER, lang="en")
    assert ctx.clerk is not None and ctx.clerk.is_manager
    assert ctx.lang == "en" and ctx.device is not None


def test_main_window_wires_detail_correction_day_close_and_shortcuts(
    qtbot: QtBot, populated_ctx: AppContext
) -> None:
    window = MainWindow(populated_ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    request_id = populated_ctx.queries.rows(populated_ctx.queries.ids()[:1]).popitem()[1].id

    window.open_request(request_id)
    detail = window.findChild(QDialog, "requestDetail")
    assert detail is not None and detail.isVisible()
    detail.close()
    window.start_correction(request_id)
    assert window.tabs.currentWidget() is window.form
    assert window.form.correcting == request_id

    window.act_search.trigger()  # Ctrl+F
    assert window.tabs.currentWidget() is window.queue
    window.act_new.trigger()  # Ctrl+N: the correction is dropped, the search box waits
    assert window.tabs.currentWidget() is window.form
    assert window.form.correcting is None and window.form.service is None

    assert window.act_dayclose.isEnabled()
    window.day_close()
    assert any(
        type(d).__name__ == "DayCloseDialog" and d.isVisible() for d in window.findChildren(QDialog)
    )
    window.sync_now()  # no server: says so in the status bar, nothing else
    assert window.statusBar().currentMessage()
