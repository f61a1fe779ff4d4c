"""The manager's settings dialog: printer, receipt paper and what Ctrl+P does, saved for real;
and what Ctrl+P then does in the main window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop.changes import SETTINGS_CHANGED
from desktop.config import Settings
from tests.ui.conftest import MakeCtx, fill_form, sample_for
from ui.context import AppContext
from ui.mainwindow import MainWindow
from ui.printing import printer_names
from ui.printing_flow import PrintFailed
from ui.printing_preview import ReceiptPreview
from ui.settings_dialog import SettingsDialog, SettingsNotSaved

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]


def test_it_shows_the_settings_in_force_and_keeps_a_printer_that_is_not_found(
    qtbot: QtBot, manager_ctx: AppContext
) -> None:
    manager_ctx.settings.set("printer_name", "HP-Counter-2")
    manager_ctx.settings.set("receipt_layout", "a5")
    dialog = SettingsDialog(manager_ctx)
    qtbot.addWidget(dialog)
    assert dialog.layout_buttons["a5"].isChecked()
    assert dialog.mode_buttons["preview"].isChecked()  # the default
    qtbot.waitUntil(lambda: dialog.printers_loaded, timeout=10_000)
    installed = printer_names()  # this machine's own list (none on the build machines)
    names = [dialog.printer.itemData(i) for i in range(dialog.printer.count())]
    assert names == ["", *installed] + ([] if "HP-Counter-2" in installed else ["HP-Counter-2"])
    assert dialog.printer.currentData() == "HP-Counter-2"  # still chosen, marked
    if "HP-Counter-2" not in installed:
        assert "HP-Counter-2" in dialog.printer.currentText()
        assert dialog.printer.currentText() != "HP-Counter-2"
    assert dialog.values() == {
        "printer_name": "HP-Counter-2",
        "receipt_layout": "a5",
        "receipt_print": "preview",
    }


def test_saving_writes_the_file_and_announces_the_change(
    qtbot: QtBot, manager_ctx: AppContext
) -> None:
    dialog = SettingsDialog(manager_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.layout_buttons["a5"].setChecked(True)
    dialog.mode_buttons["direct"].setChecked(True)
    dialog.printer.setCurrentIndex(0)  # the system's default
    with qtbot.waitSignal(manager_ctx.worker.changed, timeout=5000) as announced:
        dialog.save_button.click()
    assert announced.args == [SETTINGS_CHANGED]
    assert not dialog.isVisible()
    on_disk = Settings(manager_ctx.data_dir)  # as the next start reads it
    assert (
        on_disk.get("receipt_layout"),
        on_disk.get("receipt_print"),
        on_disk.get("printer_name"),
    ) == ("a5", "direct", "")


def test_a_disk_that_refuses_the_write_is_said_and_the_dialog_stays(
    qtbot: QtBot, manager_ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    manager_ctx.settings = Settings(blocker / "data")  # writing it cannot succeed
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda _parent, _title, text, *a, **k: shown.append(text)
    )
    dialog = SettingsDialog(manager_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.mode_buttons["dialog"].setChecked(True)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert shown[0].startswith(SettingsNotSaved("x").message.fa.split("؛")[0])
    assert dialog.isVisible() and dialog.save_button.isEnabled()


def test_only_the_manager_gets_the_settings(
    qtbot: QtBot, make_ctx: MakeCtx, manager_ctx: AppContext, ui_ctx: AppContext
) -> None:
    clerk_window = MainWindow(ui_ctx)
    qtbot.addWidget(clerk_window)
    assert not clerk_window.act_settings.isVisible()
    clerk_window.open_settings()  # a clerk's window opens nothing, even if asked
    assert clerk_window.findChild(SettingsDialog) is None

    window = MainWindow(manager_ctx)
    qtbot.addWidget(window)
    assert window.act_settings.isVisible()
    window.act_settings.trigger()
    dialog: Any = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()


def _saved_in(window: MainWindow, ctx: AppContext, qtbot: QtBot) -> None:
    fill_form(window.form, sample_for(ctx, "smart_card", seed=9))
    with qtbot.waitSignal(window.form.saved, timeout=5000):
        window.form.save()
    assert window.act_print.isEnabled()


def test_ctrl_p_in_the_main_window_opens_the_preview_by_default(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    window = MainWindow(ui_ctx)
    qtbot.addWidget(window)
    window.show()
    _saved_in(window, ui_ctx, qtbot)
    window.act_print.trigger()  # Ctrl+P
    qtbot.waitUntil(lambda: window.findChild(ReceiptPreview) is not None, timeout=10_000)
    preview = window.findChild(ReceiptPreview)
    assert preview is not None and preview.isVisible() and preview.page_count == 1
    preview.reject()


@pytest.mark.qt_log_ignore("QPainter::begin", "This plugin does not support")  # Qt: no printer
def test_direct_printing_with_no_printer_says_so_plainly(
    qtbot: QtBot, ui_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(
        QMessageBox, "warning", lambda _parent, _title, text, *a, **k: shown.append(text)
    )
    ui_ctx.settings.set("receipt_print", "direct")
    ui_ctx.settings.set("printer_name", "Pishkhan test: a printer that is not there")
    window = MainWindow(ui_ctx)
    qtbot.addWidget(window)
    window.show()
    _saved_in(window, ui_ctx, qtbot)
    window.act_print.trigger()
    qtbot.waitUntil(lambda: bool(shown), timeout=10_000)
    assert shown == [PrintFailed().message.fa]
    assert window.findChild(ReceiptPreview) is None
