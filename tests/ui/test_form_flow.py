"""The clerk's flow through the form: errors that go when fixed, the next citizen's field
in view after a save (issue 14, items 2 and 3).

Real store in tmp_path, real worker, real intake; values typed with ``setText`` or
per-character key events (FACTS.md: ``keyClicks`` with Persian text aborts pytest).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QEvent, QLocale, QPoint, QRect, Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from rules.normalize import to_persian_digits
from tests.ui.conftest import fill_form, sample_for
from ui.context import AppContext
from ui.form_fields import DateEditor, JalaliCalendar
from ui.login import LoginAccess, LoginDialog, keyboard_layout_text
from ui.request_form import RequestForm

BAD_NATIONAL_CODE = "1234567890"  # ten digits, wrong check digit


def make_form(qtbot: QtBot, ctx: AppContext, width: int = 1100, height: int = 760) -> RequestForm:
    form = RequestForm(ctx)
    qtbot.addWidget(form)
    form.resize(width, height)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    return form


def save_and_wait(qtbot: QtBot, form: RequestForm) -> None:
    form.save()
    qtbot.waitUntil(lambda: not form.saving, timeout=5000)


def in_view(form: RequestForm, widget: QWidget) -> bool:
    """Whether the whole of ``widget`` lies inside the scroll area's visible part."""
    viewport = form.scroll_area.viewport()
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    return viewport.rect().contains(QRect(top_left, widget.size()))


def test_an_error_goes_as_soon_as_the_field_is_right(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    draft = sample_for(ui_ctx, "criminal_record")
    fill_form(form, draft)
    code = form.applicant_cells["national_code"]
    first = form.applicant_cells["first_name"]
    code.editor.set_value(to_persian_digits(BAD_NATIONAL_CODE))
    first.editor.set_value("")
    save_and_wait(qtbot, form)
    assert form.error_keys() == ["applicant.national_code", "applicant.first_name"]
    assert form.summary.isVisible()

    # Still wrong while it is being typed: the error says what is wrong now.
    code.editor.set_value("۰۰۱")
    assert form.error_text("applicant.national_code") not in ("", "پر کردن این خانه لازم است")
    # Right: the error goes at once, before any save.
    code.editor.set_value(to_persian_digits(draft.applicant["national_code"]))
    assert form.error_text("applicant.national_code") == ""
    assert code.editor.focus_widget.property("invalid") is False
    assert form.summary.isVisible()  # the first name still waits
    first.editor.set_value("مریم")
    assert form.error_keys() == []
    assert not form.summary.isVisible()


def test_documents_and_card_errors_go_when_answered(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    fill_form(form, sample_for(ui_ctx, "criminal_record"))
    required = [d.key for d in form.service.documents if d.required]  # type: ignore[union-attr]
    assert required
    form.document_boxes[required[0]].setChecked(False)
    save_and_wait(qtbot, form)
    assert "documents" in form.error_keys()
    form.document_boxes[required[0]].setChecked(True)
    assert "documents" not in form.error_keys()

    form.card_ref.setText("12ab")  # not digits: refused by the intake
    save_and_wait(qtbot, form)
    assert form.error_keys() == ["card_ref"]
    form.card_ref.setText("123456")
    assert form.error_keys() == []
    assert form.card_ref.property("invalid") is False


def test_after_a_save_the_next_citizens_code_is_in_view(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx, 1024, 520)  # short: the form scrolls
    fill_form(form, sample_for(ui_ctx, "criminal_record"))
    bar = form.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    list(form.document_boxes.values())[-1].setFocus()
    bar.setValue(bar.maximum())  # the clerk ended at the bottom of the form
    code = form.applicant_cells["national_code"]
    assert not in_view(form, code.editor.focus_widget)
    with qtbot.waitSignal(form.saved, timeout=5000):
        form.save()
    assert code.editor.focus_widget.hasFocus()
    assert in_view(form, code.editor.focus_widget)


def test_the_first_wrong_field_is_focused_and_in_view(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx, 1024, 520)
    fill_form(form, sample_for(ui_ctx, "criminal_record"))
    form.applicant_cells["national_code"].editor.set_value(BAD_NATIONAL_CODE)
    form.card_ref.setFocus()
    bar = form.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())
    save_and_wait(qtbot, form)
    code = form.applicant_cells["national_code"].editor.focus_widget
    assert code.hasFocus()
    assert in_view(form, code)


def type_keys(widget: QWidget, text: str) -> None:
    """One key event a character (FACTS.md: keyClicks with Persian text aborts pytest)."""
    plain = Qt.KeyboardModifier.NoModifier
    for ch in text:
        event = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_unknown, plain, ch)
        QApplication.sendEvent(widget, event)


def test_latin_digits_show_persian_and_full_fields_move_on(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    code = form.applicant_cells["national_code"].editor
    code.focus_widget.setFocus()
    type_keys(code.focus_widget, "001234567")  # a Latin keyboard, nine digits
    assert code.value() == "۰۰۱۲۳۴۵۶۷"  # shown Persian like dates and money
    assert code.focus_widget.hasFocus()  # not full yet
    type_keys(code.focus_widget, "9")
    assert form.applicant_cells["first_name"].editor.focus_widget.hasFocus()
    mobile = form.applicant_cells["mobile"].editor
    mobile.focus_widget.setFocus()
    type_keys(mobile.focus_widget, "09121234567")
    # The address is optional: Enter and a full field go past it (Tab still reaches it).
    assert form.answer_cells["purpose"].editor.focus_widget.hasFocus()
    date = form.answer_cells["birth_date"].editor
    date.focus_widget.setFocus()
    type_keys(date.focus_widget, "1370/05/12")
    # The birth place is filled from the national code's 001 (Tehran): the date moves on
    # past it, as past a returning citizen's name.
    assert form.answer_cells["birth_place"].editor.value() == "تهران"
    assert form.answer_cells["residence_postal_code"].editor.focus_widget.hasFocus()
    typed = form.draft().applicant["national_code"]
    assert typed == "۰۰۱۲۳۴۵۶۷۹"
    stored = form.applicant_field("national_code").check(typed, today=dt.date.today())
    assert stored == "0012345679"  # the core stores ASCII digits


def test_all_documents_seen_ticks_each_and_follows_them(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    form.all_documents.setChecked(True)
    assert all(b.isChecked() for b in form.document_boxes.values())
    first = next(iter(form.document_boxes.values()))
    first.setChecked(False)
    assert not form.all_documents.isChecked()
    first.setChecked(True)
    assert form.all_documents.isChecked()
    form.all_documents.setFocus()
    form.focus_next(form.all_documents)
    assert form.card_ref.hasFocus()  # Enter skips the documents already ticked


def test_the_login_window_shows_the_keyboard_layout(qtbot: QtBot, ui_ctx: AppContext) -> None:
    login = LoginDialog(LoginAccess.of(ui_ctx))
    qtbot.addWidget(login)
    method = QGuiApplication.inputMethod()
    assert login.keyboard_layout.text() == keyboard_layout_text(method.locale())
    assert login.keyboard_layout.text()
    assert keyboard_layout_text(QLocale("fa_IR")) == "فا"
    assert keyboard_layout_text(QLocale("en_US")) == "EN"
    login.keyboard_layout.setText("")
    method.localeChanged.emit()  # what the platform sends when the clerk switches layout
    assert login.keyboard_layout.text() == keyboard_layout_text(method.locale())


def test_the_calendar_reads_right_to_left_and_enter_picks_the_marked_day(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    date = form.answer_cells["birth_date"].editor
    assert isinstance(date, DateEditor)
    date.show_calendar()
    menu = date._menu
    assert menu is not None
    calendar = menu.findChild(JalaliCalendar)
    assert calendar is not None
    assert calendar.layoutDirection() == Qt.LayoutDirection.RightToLeft  # Saturday on the right
    assert calendar.selectedDate() == QDate.currentDate()  # the day marked on an empty field
    calendar.activated.emit(calendar.selectedDate())  # Enter on the marked day
    assert date.current_date() == QDate.currentDate()
