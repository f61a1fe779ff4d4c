"""The request detail dialog: every field in the clerk's language, history, links, actions."""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QFormLayout, QLabel
from pytestqt.qtbot import QtBot

from desktop.states import State
from rules.bidi import ltr
from rules.catalog import Catalog, FieldType
from rules.errors import UserFacingError
from rules.messages import Message
from rules.normalize import to_persian_digits
from tests.support.bulk import UI_TEST_NOW, open_bulk_store
from tests.ui.conftest import CLERK_USER, MakeCtx, sample_for
from ui import detail as detail_module
from ui.context import AppContext
from ui.detail import RequestDetailDialog
from ui.theme import format_jalali_datetime, format_money


@pytest.fixture
def ctx(make_ctx: MakeCtx, tmp_path: Path) -> Iterator[AppContext]:
    store = open_bulk_store(tmp_path / "small", 300, now=UI_TEST_NOW, seed=7)
    yield make_ctx(store, clerk=CLERK_USER)
    store.close()


def newest_in(ctx: AppContext, state: str) -> str:
    conn = sqlite3.connect(ctx.store.path)
    try:
        return conn.execute(
            "SELECT id FROM requests WHERE state = ? ORDER BY local_id DESC", (state,)
        ).fetchone()[0]
    finally:
        conn.close()


def open_dialog(
    qtbot: QtBot, ctx: AppContext, request_id: str, on_correct: Any = None
) -> RequestDetailDialog:
    dialog = RequestDetailDialog(ctx, request_id, on_correct=on_correct)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def caption(label: QLabel) -> str:
    """The caption a QFormLayout shows beside a value."""
    form = label.parentWidget().layout()
    assert isinstance(form, QFormLayout)
    buddy = form.labelForField(label)
    assert isinstance(buddy, QLabel)
    return buddy.text()


def test_shows_every_field_with_catalogue_labels_fees_reason_and_history(
    qtbot: QtBot, ctx: AppContext
) -> None:
    request_id = newest_in(ctx, State.NEEDS_CORRECTION)
    detail = ctx.queries.detail(request_id)
    assert detail is not None
    row = detail.row
    dialog = open_dialog(qtbot, ctx, request_id, on_correct=lambda _id: None)
    v = dialog.values

    assert v["reference"].text() == ltr(to_persian_digits(row.reference))
    assert v["state"].text() == "نیازمند اصلاح"
    assert v["service"].text() == row.service_title_fa
    assert v["reason"].text() == row.reason_fa
    assert v["applicant.national_code"].text() == ltr(to_persian_digits(row.national_code))
    assert v["applicant.name"].text() == f"{row.first_name} {row.last_name}"
    assert v["applicant.mobile"].text() == ltr(to_persian_digits(row.mobile))

    service = ctx.catalogs.get(detail.catalog_version).service(row.service_code)
    for field in service.fields:
        shown = v[f"answers.{field.key}"]
        assert caption(shown) == field.label.fa
        raw = detail.answers.get(field.key)
        if raw is None:
            assert shown.text() == "—"
        elif field.type is FieldType.CHOICE:
            assert shown.text() == field.choice(raw).label.fa  # type: ignore[union-attr]
        elif field.type is FieldType.MONEY:
            assert shown.text() == format_money(int(raw), "fa")
        elif field.type is FieldType.SHEBA:
            assert raw in shown.text()
    documents = {d.key: d.label.fa for d in service.documents}
    for key in detail.documents:
        assert documents[key] in v["documents"].text()

    assert v["fees.government"].text() == format_money(detail.government_fee, "fa")
    assert v["fees.office"].text() == format_money(detail.office_fee, "fa")
    assert v["fees.vat"].text() == format_money(detail.vat, "fa")
    assert v["fees.total"].text() == format_money(row.total_fee, "fa")
    assert v["card_ref"].text() == (ltr(to_persian_digits(detail.card_ref)) or "—")
    assert v["provisional_reference"].text() == ltr(to_persian_digits(row.reference))
    assert row.tracking_code and row.tracking_code in v["tracking_code"].text()

    history = dialog.history
    assert history.topLevelItemCount() == len(detail.history) == 3
    states = [history.topLevelItem(i).text(1) for i in range(3)]
    assert states == ["در صف ارسال", "پذیرفته شد", "نیازمند اصلاح"]
    assert history.topLevelItem(0).text(0) == format_jalali_datetime(
        detail.history[0].at, "fa", seconds=True
    )
    assert history.topLevelItem(2).text(3) == row.reason_fa
    assert dialog.correct_button.isEnabled() and dialog.correct_button.property("primary")


def test_answers_keep_the_labels_of_the_catalogue_version_they_were_made_under(
    qtbot: QtBot, ctx: AppContext
) -> None:
    assert ctx.clerk is not None
    saved = ctx.intake.save(ctx.clerk, sample_for(ctx, "driving_licence"))
    old = ctx.catalogs.current()
    doc = copy.deepcopy(old.to_document())
    doc["version"] = old.version + 1
    service = next(s for s in doc["services"] if s["code"] == "driving_licence")
    service["fields"][0]["label"] = {"fa": "برچسب تازه", "en": "New label"}
    ctx.catalogs.import_catalog(Catalog.from_document(doc))

    dialog = open_dialog(qtbot, ctx, saved.id)
    first = old.service("driving_licence").fields[0]
    assert caption(dialog.values[f"answers.{first.key}"]) == first.label.fa != "برچسب تازه"


def test_correction_callback_fires_with_the_request_and_closes_the_dialog(
    qtbot: QtBot, ctx: AppContext
) -> None:
    asked: list[str] = []
    request_id = newest_in(ctx, State.COMPLETED)
    dialog = open_dialog(qtbot, ctx, request_id, on_correct=asked.append)
    assert dialog.correct_button.isEnabled()
    assert not dialog.correct_button.property("primary")  # nothing is asked of the clerk
    dialog.correct_button.click()
    assert asked == [request_id]
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()


def test_a_superseded_request_links_to_its_correction_and_cannot_be_corrected_again(
    qtbot: QtBot, ctx: AppContext
) -> None:
    original = newest_in(ctx, State.NEEDS_ATTENTION)
    detail = ctx.queries.detail(original)
    assert detail is not None and ctx.clerk is not None
    correction = ctx.intake.correct(
        ctx.clerk, original, sample_for(ctx, detail.row.service_code, seed=4)
    )
    asked: list[str] = []
    dialog = open_dialog(qtbot, ctx, original, on_correct=asked.append)
    assert not dialog.correct_button.isEnabled()
    note = dialog.values["superseded_by"]
    assert to_persian_digits(correction.reference) in note.text()
    assert f'href="{correction.id}"' in note.text()

    note.linkActivated.emit(correction.id)  # the clerk follows the link
    assert dialog.request_id == correction.id
    assert dialog.values["reference"].text() == ltr(to_persian_digits(correction.reference))
    assert to_persian_digits(detail.row.reference) in dialog.values["supersedes"].text()
    assert dialog.correct_button.isEnabled()
    assert dialog.windowTitle().endswith(ltr(to_persian_digits(correction.reference)))


def test_reprint_calls_the_printing_module_and_shows_its_errors(
    qtbot: QtBot, ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.printing

    printed: list[tuple[object, object, str]] = []
    monkeypatch.setattr(
        ui.printing, "print_receipt", lambda parent, c, rid: printed.append((parent, c, rid))
    )
    request_id = newest_in(ctx, State.ACCEPTED)
    dialog = open_dialog(qtbot, ctx, request_id)
    assert not dialog.correct_button.isVisible()  # no correction without a form to make it
    dialog.print_button.click()
    assert printed == [(dialog, ctx, request_id)]

    def broken(*_args: object) -> None:
        raise UserFacingError(Message("چاپگر پیدا نشد.", "No printer."))

    shown: list[str] = []
    monkeypatch.setattr(ui.printing, "print_receipt", broken)
    monkeypatch.setattr(
        detail_module, "show_error", lambda _parent, exc, lang: shown.append(exc.message.text(lang))
    )
    dialog.print_button.click()
    assert shown == ["چاپگر پیدا نشد."] and dialog.isVisible()


def test_an_unknown_request_is_said_plainly(qtbot: QtBot, ctx: AppContext) -> None:
    dialog = open_dialog(
        qtbot, ctx, "00000000-0000-4000-8000-000000000000", on_correct=lambda _id: None
    )
    assert dialog.detail is None
    assert not dialog.print_button.isEnabled() and not dialog.correct_button.isEnabled()


def test_english_clerk_reads_english_labels_and_latin_digits(
    qtbot: QtBot, make_ctx: MakeCtx, ctx: AppContext
) -> None:
    english = make_ctx(ctx.store, clerk=CLERK_USER, lang="en")
    request_id = newest_in(ctx, State.REJECTED)
    detail = english.queries.detail(request_id)
    assert detail is not None
    dialog = open_dialog(qtbot, english, request_id)
    assert dialog.values["state"].text() == "Rejected"
    assert dialog.values["reason"].text() == detail.row.reason_en
    assert dialog.values["applicant.national_code"].text() == ltr(detail.row.national_code)
    assert dialog.values["service"].text() == detail.row.service_title_en
    assert dialog.values["fees.total"].text().endswith("rials")
