"""The request form: generated per service, saved off the GUI thread, errors inline, keyboard.

Real store in tmp_path, real worker thread, real intake; modal dialogs patched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import event

from desktop.errors import DiskFullError
from desktop.intake import RequestDraft
from desktop.queue import QueueFilter
from rules import messages as m
from rules.catalog import FieldType
from rules.normalize import to_persian_digits
from tests.ui.conftest import fill_form, sample_for
from ui.context import AppContext
from ui.form_fields import DateEditor, JalaliCalendar, LineEditor
from ui.request_form import RequestForm
from ui.service_picker import search_key
from ui.theme import format_age, format_jalali_datetime, format_money, row_height

BAD_NATIONAL_CODE = "1234567890"  # ten digits, wrong check digit


def make_form(qtbot: QtBot, ctx: AppContext) -> RequestForm:
    form = RequestForm(ctx)
    qtbot.addWidget(form)
    form.resize(1100, 760)
    form.show()
    qtbot.waitExposed(form)
    form.activateWindow()
    qtbot.waitUntil(form.isActiveWindow)
    return form


def fill_database(ctx: AppContext, draft: RequestDraft) -> None:
    """A real SQLITE_FULL: cap the database's size and fill it to the brim.

    Saves of the same draft go on until one is refused: even the free room left
    on the tables' own pages is then used up, so the form's save must fail too.
    """
    store = ctx.store
    conn = sqlite3.connect(store.path)
    limit = conn.execute("PRAGMA page_count").fetchone()[0] + 4
    conn.execute(f"PRAGMA max_page_count = {limit}")
    conn.execute("CREATE TABLE filler (x BLOB)")
    for size in (4000, 1000, 200, 40, 1):
        with contextlib.suppress(sqlite3.OperationalError):
            while True:
                conn.execute("INSERT INTO filler VALUES (randomblob(?))", (size,))
                conn.commit()
    conn.close()
    engine = store._write_engine

    @event.listens_for(engine, "connect")
    def cap(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.execute(f"PRAGMA max_page_count = {limit}")

    engine.dispose()
    assert ctx.clerk is not None
    with pytest.raises(DiskFullError):
        for _ in range(500):
            ctx.intake.save(ctx.clerk, draft)


def save_and_wait(qtbot: QtBot, form: RequestForm) -> None:
    form.save()
    qtbot.waitUntil(lambda: not form.saving, timeout=5000)


def test_every_service_and_field_type_saves_with_persian_digits(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    # Few services that between them have every field type (each save is an fsync).
    services = []
    seen_types: set[FieldType] = set()
    for service in sorted(
        ui_ctx.catalogs.current().active_services(), key=lambda s: -len({f.type for f in s.fields})
    ):
        if {f.type for f in service.fields} - seen_types:
            services.append(service)
            seen_types |= {f.type for f in service.fields}
    assert seen_types == set(FieldType)
    for n, service in enumerate(services):
        draft = sample_for(ui_ctx, service.code, seed=n)
        fill_form(form, draft)
        with qtbot.waitSignal(form.saved, timeout=5000) as saved:
            form.save()
        record = saved.args[0]
        detail = ui_ctx.queries.detail(record.id)
        assert detail is not None
        assert detail.row.service_code == service.code
        assert detail.row.national_code == draft.applicant["national_code"]
        assert detail.card_ref == draft.card_ref
        assert sorted(detail.documents) == sorted(draft.documents)
        today = dt.date.today()
        for key, value in draft.answers.items():
            # Stored canonical (ASCII digits) though typed with Persian digits.
            assert detail.answers[key] == service.field(key).check(value, today=today)
        # Cleared for the next citizen; the service stays chosen.
        assert not form.has_input()
        assert form.service is not None and form.service.code == service.code


def test_saved_reference_shown_and_form_cleared(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    fill_form(form, sample_for(ui_ctx, "bill_payment"))
    with qtbot.waitSignal(form.saved, timeout=5000) as saved:
        QTest.keyClick(form.card_ref, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    reference = saved.args[0].reference
    assert form.result.isVisible()
    assert to_persian_digits(reference) in form.result_text.text()
    assert form.last_saved is not None and form.last_saved.reference == reference
    assert form.card_ref.text() == ""
    assert ui_ctx.queries.ids(QueueFilter(text=reference))


def test_errors_inline_in_the_clerks_language_content_kept(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    form = make_form(qtbot, ui_ctx)
    draft = sample_for(ui_ctx, "smart_card")
    fill_form(form, draft)
    form.applicant_cells["national_code"].editor.set_value(to_persian_digits(BAD_NATIONAL_CODE))
    required = [d.key for d in form.service.documents if d.required]  # type: ignore[union-attr]
    form.document_boxes[required[0]].setChecked(False)
    form.applicant_cells["mobile"].editor.set_value("۰۹۱۲")
    save_and_wait(qtbot, form)

    assert form.error_text("applicant.national_code") == m.NATIONAL_CODE_CHECKSUM.fa
    assert form.error_text("applicant.mobile") == m.MOBILE_INVALID.fa
    assert m.DOCUMENTS_MISSING.fa.split("{")[0] in form.error_text("documents")
    assert form.error_text("applicant.first_name") == ""
    assert form.summary.isVisible() and "۳" in form.summary.text()
    # Nothing typed is lost, and the cursor is on the first bad field.
    assert form.applicant_cells["first_name"].editor.value() == draft.applicant["first_name"]
    assert form.answer_cells["father_name"].editor.value() == draft.answers["father_name"]
    assert QApplication.focusWidget() is form.applicant_cells["national_code"].editor.focus_widget
    assert not ui_ctx.queries.ids()

    # Fixing them saves, and the errors go away.
    form.applicant_cells["national_code"].editor.set_value(draft.applicant["national_code"])
    form.applicant_cells["mobile"].editor.set_value(draft.applicant["mobile"])
    form.document_boxes[required[0]].setChecked(True)
    with qtbot.waitSignal(form.saved, timeout=5000):
        form.save()
    assert form.error_text("applicant.national_code") == ""
    assert not form.summary.isVisible()


def test_errors_in_english(qtbot: QtBot, make_ctx, office_store) -> None:  # type: ignore[no-untyped-def]
    ctx = make_ctx(office_store, clerk="karmand", lang="en")
    form = make_form(qtbot, ctx)
    fill_form(form, sample_for(ctx, "justice_shares_sheba"))
    form.answer_cells["sheba"].editor.set_value("")
    save_and_wait(qtbot, form)
    assert form.error_text("answers.sheba") == m.REQUIRED.en


def test_disk_full_keeps_what_was_typed(
    qtbot: QtBot, ui_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a, **k: shown.append(text))
    form = make_form(qtbot, ui_ctx)
    draft = sample_for(ui_ctx, "criminal_record")
    fill_form(form, draft)
    fill_database(ui_ctx, draft)
    saved_before = len(ui_ctx.queries.ids())
    save_and_wait(qtbot, form)
    assert shown == [DiskFullError().message.fa]
    assert form.applicant_cells["last_name"].editor.value() == draft.applicant["last_name"]
    assert form.answer_cells["birth_place"].editor.value() == draft.answers["birth_place"]
    assert form.card_ref.text() == to_persian_digits(draft.card_ref)
    assert form.body.isEnabled()
    assert len(ui_ctx.queries.ids()) == saved_before


def test_returning_citizen_fills_only_empty_fields(qtbot: QtBot, populated_ctx: AppContext) -> None:
    ctx = populated_ctx
    known = ctx.queries.rows(ctx.queries.ids()[:1])
    row = next(iter(known.values()))
    detail = ctx.queries.detail(row.id)
    assert detail is not None
    form = make_form(qtbot, ctx)
    form.picker.choose("justice_shares_sheba")
    form.applicant_cells["first_name"].editor.set_value("نام تایپ‌شده")
    form.applicant_cells["national_code"].editor.set_value(to_persian_digits(row.national_code))
    cells = form.applicant_cells
    qtbot.waitUntil(lambda: cells["last_name"].editor.value() == row.last_name, timeout=5000)
    assert cells["mobile"].editor.value() == to_persian_digits(row.mobile)
    assert cells["address"].editor.value() == detail.address
    assert cells["first_name"].editor.value() == "نام تایپ‌شده"  # never overwritten
    assert form.returning_note.isVisible()
    # Another citizen: the suggestions the clerk did not touch are taken back.
    cells["mobile"].editor.set_value("۰۹۳۵۱۱۱۲۲۳۳")
    cells["national_code"].editor.set_value("0012345679")
    assert cells["last_name"].editor.value() == ""
    assert cells["mobile"].editor.value() == "۰۹۳۵۱۱۱۲۲۳۳"
    assert cells["first_name"].editor.value() == "نام تایپ‌شده"
    assert not form.returning_note.isVisible()


def test_service_picker_filters_and_keyboard(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    picker = form.picker
    picker.search.setText("بيمه")  # Arabic yeh, as an Arabic keyboard types it
    assert set(picker.visible_codes()) == {
        "self_employed_insurance",
        "unemployment_insurance",
        "health_insurance",
    }
    picker.search.setText("insurance unemployment")
    assert picker.visible_codes() == ["unemployment_insurance"]
    picker.search.setText("fuel_card")
    assert picker.visible_codes() == ["fuel_card"]
    picker.search.setText("بیمه")
    picker.search.setFocus()
    QTest.keyClick(picker.search, Qt.Key.Key_Down)
    QTest.keyClick(picker.search, Qt.Key.Key_Return)
    assert form.service is not None
    assert form.service.code == picker.visible_codes()[1]
    assert QApplication.focusWidget() is form.applicant_cells["national_code"].editor.focus_widget
    assert search_key("كسب‌وكار ۱۲") == "کسب وکار 12"


def test_enter_moves_on_and_saves_on_the_last_field(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    fill_form(form, sample_for(ui_ctx, "justice_shares_sheba"))
    national = form.applicant_cells["national_code"].editor.focus_widget
    national.setFocus()
    QTest.keyClick(national, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is form.applicant_cells["first_name"].editor.focus_widget
    form.card_ref.setFocus()
    with qtbot.waitSignal(form.saved, timeout=5000):
        QTest.keyClick(form.card_ref, Qt.Key.Key_Return)


def test_correction_prefills_and_supersedes(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    draft = sample_for(ui_ctx, "driving_licence", seed=5)
    fill_form(form, draft)
    with qtbot.waitSignal(form.saved, timeout=5000) as first:
        form.save()
    original = first.args[0]
    form.load_for_correction(original.id)
    assert form.correcting == original.id
    assert form.correction.isVisible()
    assert form.applicant_cells["last_name"].editor.value() == draft.applicant["last_name"]
    birth = form.answer_cells["birth_date"].editor.value()
    assert birth == to_persian_digits(draft.answers["birth_date"])
    assert all(box.isChecked() for box in form.document_boxes.values())
    form.applicant_cells["last_name"].editor.set_value("اصلاح‌شده")
    with qtbot.waitSignal(form.saved, timeout=5000) as second:
        form.save()
    corrected = second.args[0]
    assert corrected.supersedes == original.id
    assert form.correcting is None and not form.correction.isVisible()
    detail = ui_ctx.queries.detail(original.id)
    assert detail is not None and detail.superseded_by == corrected.id


def test_fees_follow_the_choices(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("postal_parcel")
    service = form.service
    assert service is not None
    field = next(f for f in service.fields if f.type is FieldType.CHOICE)
    priced = next(c for c in field.choices if c.government_fee or c.office_fee)
    form.answer_cells[field.key].editor.set_value(priced.value)
    fees = service.fees_for({field.key: priced.value})
    assert format_money(fees.total, "fa") in form.fees_total.text()


def test_money_grouped_and_date_from_the_calendar(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    form.picker.choose("bill_payment")
    money = form.answer_cells["amount"].editor
    assert isinstance(money, LineEditor)
    money.edit.setText("۱۲۰۰۰۰۰")
    money.edit.editingFinished.emit()
    assert money.value() == "۱٬۲۰۰٬۰۰۰"
    form.picker.choose("criminal_record")
    date = form.answer_cells["birth_date"].editor
    assert isinstance(date, DateEditor)
    date.show_calendar()
    calendar = date._menu.findChild(JalaliCalendar)  # type: ignore[union-attr]
    assert calendar is not None
    friday = calendar.weekdayTextFormat(Qt.DayOfWeek.Friday).foreground().color()
    saturday = calendar.weekdayTextFormat(Qt.DayOfWeek.Saturday).foreground().color()
    assert friday != saturday
    calendar.activated.emit(QDate(2024, 8, 2))
    assert date.value() == "۱۴۰۳/۰۵/۱۲"
    date.edit.setText("14030512")
    date.edit.editingFinished.emit()
    assert date.value() == "۱۴۰۳/۰۵/۱۲"


def test_formatting_helpers() -> None:
    assert format_money(120000, "fa") == "۱۲۰٬۰۰۰ ریال"
    assert format_money(120000, "en") == "120,000 rials"
    moment = dt.datetime(2026, 11, 27, 10, 35, tzinfo=dt.UTC)  # 14:05 in Tehran
    assert format_jalali_datetime(moment, "fa") == "۱۴۰۵/۰۹/۰۶ ۱۴:۰۵"
    assert format_jalali_datetime(moment, "en") == "1405/09/06 14:05"
    assert format_age(dt.timedelta(hours=3, minutes=5), "fa") == "۳ ساعت"
    assert format_age(dt.timedelta(days=3), "en") == "3 days"
    widget = QWidget()
    assert row_height(widget.font()) > widget.fontMetrics().height()


def test_documents_json_matches_ticks(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = make_form(qtbot, ui_ctx)
    draft = sample_for(ui_ctx, "vehicle_scrapping", seed=3)
    fill_form(form, draft)
    optional = [d.key for d in form.service.documents if not d.required]  # type: ignore[union-attr]
    for key in optional:
        form.document_boxes[key].setChecked(False)
    with qtbot.waitSignal(form.saved, timeout=5000) as saved:
        form.save()
    with ui_ctx.store.read() as s:
        from desktop.db.models import Request

        row = s.get(Request, saved.args[0].local_id)
        assert row is not None
        ticked = json.loads(row.documents_json)
    assert not set(ticked) & set(optional)
