"""What the clerk must read is on the screen, isolated where it mixes directions (issue 14,
the rest of items 4 and 6's kind): a request's window title keeps its reference in order,
the recovery key's groups read in the same order in both digit sets; a failed queue
search says why on its own line, not only in a tooltip; a service's name
is read whole in the day close on a 1024×768 screen, not cut off; numbers typed on a
Latin keyboard in the set-up show in Persian digits, as in the form; a long reason in a
request's history wraps instead of hiding its end in a tooltip; a printer's Latin name is
isolated in the settings.

Real stores in tmp_path, real intake, real models; the failing search source raises the
store's own "database busy" error (a second program holding the file cannot be staged
in a WAL database within a test's time).
"""

from __future__ import annotations

import sqlite3
from array import array

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.db.engine import Store
from desktop.errors import DatabaseBusyError
from desktop.keyslots import format_recovery_key
from desktop.queue import QueueFilter
from rules.bidi import is_isolated, ltr
from rules.normalize import to_persian_digits
from tests.ui.conftest import CLERK_USER, MANAGER_USER, MakeCtx, clerk_named, sample_for
from tests.ui.test_form_flow import type_keys
from ui.context import AppContext
from ui.dayclose_dialog import DayCloseDialog, tehran_today
from ui.detail import RequestDetailDialog
from ui.queue_model import QueueModel
from ui.queue_view import QueueView
from ui.recovery_key import RecoveryKeyDialog
from ui.settings_dialog import SettingsDialog
from ui.setup_wizard import SetupWizard


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_a_request_window_title_isolates_its_reference(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store, lang: str
) -> None:
    ctx = make_ctx(office_store, clerk=CLERK_USER, lang=lang)
    saved = ctx.intake.save(clerk_named(ctx, CLERK_USER), sample_for(ctx, "criminal_record"))
    dialog = RequestDetailDialog(ctx, saved.id)
    qtbot.addWidget(dialog)
    shown = to_persian_digits(saved.reference) if lang == "fa" else saved.reference
    assert is_isolated(dialog.windowTitle(), shown), dialog.windowTitle()


class BusyIds:
    """A queue source whose every search meets a database another program holds."""

    def ids(self, flt: QueueFilter = QueueFilter()) -> array[int]:  # noqa: B008
        raise DatabaseBusyError("database is locked")


def test_a_failed_search_says_why_on_the_line(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store
) -> None:
    ctx = make_ctx(office_store, clerk=CLERK_USER)
    model = QueueModel(ctx, ids_source=BusyIds())
    view = QueueView(ctx, model=model)
    model.setParent(view)
    qtbot.addWidget(view)
    with qtbot.waitSignal(model.loadFailed, timeout=10_000):
        view.show()
    text = view.count_label.text()
    assert text.startswith("جست\u200cوجو انجام نشد"), text
    assert DatabaseBusyError().message.fa in text  # the reason itself, readable by all


def test_a_long_service_name_is_read_whole_in_the_day_close_on_a_small_screen(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store
) -> None:
    ctx = make_ctx(office_store, clerk=MANAGER_USER)
    ctx.intake.save(clerk_named(ctx, CLERK_USER), sample_for(ctx, "business_licence"))
    ctx.intake.save(clerk_named(ctx, CLERK_USER), sample_for(ctx, "smart_card"))
    dialog = DayCloseDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.set_day(tehran_today())
    dialog.resize(984, 658)  # what a 1024×768 screen leaves it (the README's screenshot)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.model.rowCount() >= 2 and not ctx.worker.busy, timeout=10_000)
    QApplication.processEvents()
    table, model = dialog.table, dialog.model
    names = 0
    for row in range(model.rowCount()):
        index = model.index(row, 1)
        name = str(model.data(index) or "")
        if not name:
            continue
        names += 1
        cell = table.visualRect(index)
        room = QRect(0, 0, cell.width() - 8, 10_000)  # less the delegate's text margins
        needed = table.fontMetrics().boundingRect(room, Qt.TextFlag.TextWordWrap, name)
        assert needed.height() <= cell.height(), (name, needed, cell)
    assert names >= 2


def test_set_up_numbers_show_in_the_language_s_digits(qtbot: QtBot, fresh_ctx: AppContext) -> None:
    wizard = SetupWizard(fresh_ctx)
    qtbot.addWidget(wizard)
    type_keys(wizard.office_code, "1234")  # a Latin keyboard
    type_keys(wizard.counter_no, "2")
    assert (wizard.office_code.text(), wizard.counter_no.text()) == ("۱۲۳۴", "۲")
    with qtbot.waitSignal(wizard.completed, timeout=5000) as done:
        wizard.office_name.setText("دفتر پیشخوان ۱۲۳۴")
        wizard.username.setText("modir")
        wizard.display_name.setText("مریم رحیمی")
        wizard.password.setText("correct-horse")
        wizard.password_again.setText("correct-horse")
        wizard.finish.click()
    device, _manager = done.args
    assert (device.office_code, device.counter_no) == ("1234", 2)  # stored as ASCII


LONG_REASON = (
    "نشانی محل سکونت با کد پستی واردشده همخوانی ندارد و تاریخ تولد با سامانهٔ ثبت احوال"
    " یکی نیست؛ هر دو را با مدارک متقاضی بررسی و درخواست را دوباره ثبت کنید."
)


def test_a_long_reason_in_a_request_s_history_is_read_whole(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store
) -> None:
    ctx = make_ctx(office_store, clerk=CLERK_USER)
    saved = ctx.intake.save(clerk_named(ctx, CLERK_USER), sample_for(ctx, "criminal_record"))
    with sqlite3.connect(ctx.store.path) as conn:  # as the centre's answer would record it
        conn.execute(
            "UPDATE request_state_changes SET reason_fa = ? WHERE request_id = ?",
            (LONG_REASON, saved.id),
        )
    dialog = RequestDetailDialog(ctx, saved.id)
    qtbot.addWidget(dialog)
    dialog.resize(760, 700)
    dialog.show()
    qtbot.waitExposed(dialog)
    QApplication.processEvents()
    tree = dialog.history
    item = tree.topLevelItem(0)
    assert item.text(3) == LONG_REASON
    cell = tree.visualItemRect(item)
    width = tree.header().sectionSize(3)
    room = QRect(0, 0, width - 8, 10_000)  # less the delegate's text margins
    needed = tree.fontMetrics().boundingRect(room, Qt.TextFlag.TextWordWrap, LONG_REASON)
    assert needed.width() <= width and needed.height() <= cell.height(), (needed, cell, width)
    assert tree.viewport().rect().contains(cell)  # the whole row in view, no scrolling


def test_the_recovery_key_reads_in_the_same_order_in_both_digit_sets(qtbot: QtBot) -> None:
    digits = "".join(str(i % 10) for i in range(48))  # eight different groups of six
    dialog = RecoveryKeyDialog(digits, "fa")
    qtbot.addWidget(dialog)
    persian, latin = dialog.key_label.text().split("\n")
    assert latin == ltr(format_recovery_key(digits))
    assert persian == ltr(format_recovery_key(digits, persian=True))


def test_a_printer_s_latin_name_is_isolated_in_the_settings(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store
) -> None:
    ctx = make_ctx(office_store, clerk=MANAGER_USER)
    ctx.settings.set("printer_name", "HP LaserJet (Counter-2)")  # not installed here
    dialog = SettingsDialog(ctx)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.printers_loaded, timeout=10_000)
    assert dialog.printer.currentData() == "HP LaserJet (Counter-2)"
    assert is_isolated(dialog.printer.currentText(), "HP LaserJet (Counter-2)")
