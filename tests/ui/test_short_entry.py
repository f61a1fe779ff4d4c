"""Fewer keys for the same request (issue 14): a date with a two-digit year, a list entry
picked by its number, "all of these seen" moving on, a birth place suggested from the
national code.

Real form on a real store in tmp_path; keys sent as key events, one a character
(FACTS.md: ``keyClicks`` with Persian text aborts pytest).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from rules.normalize import to_persian_digits
from tests.ui.conftest import fill_form, sample_for
from tests.ui.test_form_flow import make_form, save_and_wait, type_keys
from ui.context import AppContext
from ui.date_entry import expand_short_date, is_short_date
from ui.request_form import RequestForm

TODAY = dt.date(2026, 12, 3)  # 1405/09/12


@pytest.mark.parametrize(
    ("typed", "past_only", "full"),
    [
        ("700512", True, "1370/05/12"),
        ("۷۰۰۵۱۲", True, "1370/05/12"),  # a Persian keyboard
        ("70/5/12", True, "1370/05/12"),
        ("03-1-1", True, "1403/01/01"),  # 1403 has come: the 1400s
        ("050912", True, "1405/09/12"),  # today itself is in the past's range
        ("050913", True, "1305/09/13"),  # tomorrow is not: a century back
        ("100101", True, "1310/01/01"),
        ("100101", False, "1410/01/01"),  # nearer today than 1310
        ("991230", False, "1399/12/30"),  # 1399 is a leap year, 1499 is not a candidate
    ],
)
def test_a_two_digit_year_takes_the_century_that_fits(
    typed: str, past_only: bool, full: str
) -> None:
    assert expand_short_date(typed, today=TODAY, past_only=past_only) == full


@pytest.mark.parametrize(
    "typed",
    [
        "130512",  # may be the start of 13051203: never read as 1313
        "140305",
        "13700512",  # a full date stays as typed
        "1370/05/12",
        "701312",  # no 13th month
        "700532",  # no 32nd day
        "7005",
        "",
    ],
)
def test_what_is_not_a_short_date_is_left_alone(typed: str) -> None:
    assert expand_short_date(typed, today=TODAY, past_only=True) is None


def test_a_short_date_is_told_from_the_start_of_a_long_one() -> None:
    assert is_short_date("700512") and is_short_date("70/05/12")
    assert not is_short_date("137005") and not is_short_date("14030")


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def test_six_digits_of_a_birth_date_complete_it(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    date = form.answer_cells["birth_date"].editor
    date.focus_widget.setFocus()
    type_keys(date.focus_widget, "13700")
    assert date.focus_widget.hasFocus()  # the start of 1370/05/12: wait for the rest
    date.clear()
    type_keys(date.focus_widget, to_persian_digits("700512"))
    assert date.value() == "۱۳۷۰/۰۵/۱۲"  # shown in full, the clerk's digits
    assert form.answer_cells["birth_place"].editor.focus_widget.hasFocus()
    date.focus_widget.setFocus()
    date.clear()
    type_keys(date.focus_widget, "130512")  # ambiguous: stays, and is not read as 1313
    assert date.focus_widget.hasFocus()
    assert date.value() == "۱۳۰۵۱۲"


def test_a_short_date_saved_without_leaving_the_field_is_the_full_date(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    fill_form(form, sample_for(ui_ctx, "criminal_record"))
    form.answer_cells["birth_date"].editor.set_value("70/5/12")  # then Ctrl+S
    save_and_wait(qtbot, form)
    assert form.last_saved is not None and not form.error_keys()
    detail = ui_ctx.queries.detail(form.last_saved.id)
    assert detail is not None and detail.answers["birth_date"] == "1370/05/12"


def key(widget: QWidget, qt_key: Qt.Key, text: str) -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(
            widget, QKeyEvent(kind, qt_key, Qt.KeyboardModifier.NoModifier, text)
        )


def test_a_list_entry_is_picked_by_its_number(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    purpose = form.answer_cells["purpose"].editor
    combo = purpose.focus_widget
    assert isinstance(combo, QComboBox)
    assert combo.itemText(2) == "اخذ پروانه یا مجوز (۲)"
    combo.setFocus()
    key(combo, Qt.Key.Key_unknown, "۲")  # a Persian keyboard's 2
    assert purpose.value() == "permit"
    assert form.answer_cells["father_name"].editor.focus_widget.hasFocus()
    combo.setFocus()
    key(combo, Qt.Key.Key_4, "4")  # a Latin keyboard
    assert purpose.value() == "other"
    combo.setFocus()
    key(combo, Qt.Key.Key_9, "9")  # no ninth entry: nothing chosen, nowhere to go
    assert purpose.value() == "other" and combo.hasFocus()


@pytest.fixture
def separate_searches() -> Iterator[None]:
    """A list's type-to-find joins keys pressed within this interval into one search."""
    before = QApplication.keyboardInputInterval()
    QApplication.setKeyboardInputInterval(0)
    yield
    QApplication.setKeyboardInputInterval(before)


@pytest.mark.usefixtures("separate_searches")
def test_first_letters_still_find_an_entry(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    purpose = form.answer_cells["purpose"].editor
    combo = purpose.focus_widget
    combo.setFocus()
    key(combo, Qt.Key.Key_unknown, "ا")
    assert purpose.value() == "employment"  # the first of three that start with «ا»
    assert combo.hasFocus()  # a letter may need a second: the focus stays


def test_space_on_all_seen_ticks_them_and_moves_on(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    form.all_documents.setFocus()
    key(form.all_documents, Qt.Key.Key_Space, " ")
    assert all(box.isChecked() for box in form.document_boxes.values())
    assert form.card_ref.hasFocus()
    form.all_documents.setFocus()
    key(form.all_documents, Qt.Key.Key_Space, " ")  # unticking: the clerk stays to see
    assert not any(box.isChecked() for box in form.document_boxes.values())
    assert form.all_documents.hasFocus()


def type_code(form: RequestForm, code: str) -> None:
    editor = form.applicant_cells["national_code"].editor
    editor.focus_widget.setFocus()
    editor.clear()
    type_keys(editor.focus_widget, to_persian_digits(code))


def test_the_birth_place_follows_the_national_code_until_the_clerk_types_one(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    place = form.answer_cells["birth_place"]
    type_code(form, "0012345679")
    assert place.editor.value() == "تهران"
    assert place.note is not None and place.note.isVisible()
    assert "محل صدور کد ملی" in place.note.text()
    type_code(form, "1360000003")  # another citizen's code: another town
    assert place.editor.value() == "تبریز"
    type_code(form, "6230000008")  # a prefix the table gives two towns: no guess
    assert place.editor.value() == "" and not place.note.isVisible()
    type_code(form, "1360000004")  # a wrong check digit: a mistyped code, no town
    assert place.editor.value() == ""
    type_code(form, "1360000003")
    place.editor.set_value("اسکو")  # what the citizen says
    assert not place.note.isVisible()
    type_code(form, "0012345679")
    assert place.editor.value() == "اسکو"  # the clerk's, kept


def test_a_birth_place_typed_first_is_not_replaced(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    form.answer_cells["birth_place"].editor.set_value("قم")
    type_code(form, "0012345679")
    assert form.answer_cells["birth_place"].editor.value() == "قم"


def test_enter_passes_the_suggested_place_and_tab_reaches_it(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("criminal_record")
    type_code(form, "0012345679")
    date = form.answer_cells["birth_date"].editor.focus_widget
    place = form.answer_cells["birth_place"].editor.focus_widget
    postal = form.answer_cells["residence_postal_code"].editor.focus_widget
    date.setFocus()
    key(date, Qt.Key.Key_Return, "\r")
    assert postal.hasFocus()
    date.setFocus()
    key(date, Qt.Key.Key_Tab, "\t")
    assert place.hasFocus()
    assert isinstance(place, QLineEdit)
    assert place.selectedText() == "تهران"  # typing replaces it
    type_keys(place, "ری")
    assert form.answer_cells["birth_place"].editor.value() == "ری"


def test_a_service_shown_after_the_code_gets_the_suggestion(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("smart_card")  # no birth place there
    type_code(form, "0012345679")
    form.picker.choose("criminal_record")  # the applicant block stays
    assert form.answer_cells["birth_place"].editor.value() == "تهران"


def test_a_suggestion_left_as_it_is_is_what_is_stored(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    draft = sample_for(ui_ctx, "criminal_record")
    fill_form(form, draft)
    form.answer_cells["birth_place"].editor.clear()
    type_code(form, "0012345679")
    save_and_wait(qtbot, form)
    assert form.last_saved is not None, form.error_keys()
    detail = ui_ctx.queries.detail(form.last_saved.id)
    assert detail is not None and detail.answers["birth_place"] == "تهران"
    # The next citizen's form starts empty: no town left from the last one.
    assert form.answer_cells["birth_place"].editor.value() == ""


def test_errors_go_when_a_short_date_or_a_suggestion_makes_the_field_right(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    fill_form(form, sample_for(ui_ctx, "criminal_record"))
    date = form.answer_cells["birth_date"]
    place = form.answer_cells["birth_place"]
    date.editor.set_value("1370")
    place.editor.clear()
    save_and_wait(qtbot, form)
    assert {"answers.birth_date", "answers.birth_place"} <= set(form.error_keys())
    date.editor.clear()
    date.editor.focus_widget.setFocus()
    type_keys(date.editor.focus_widget, "700512")
    assert "answers.birth_date" not in form.error_keys()
    type_code(form, "0012345679")  # the suggestion fills the place: its error goes too
    assert place.editor.value() == "تهران"
    assert "answers.birth_place" not in form.error_keys()
