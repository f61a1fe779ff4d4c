"""The day-close dialog: Jalali day picker, the summary table, CSV, PDF, paper, closing."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QCalendar, Qt
from PySide6.QtWidgets import QDialog, QMessageBox
from sqlalchemy import select

from desktop.audit import Action
from desktop.clerks import ClerkInfo
from desktop.clock import TEHRAN
from desktop.dayclose import day_summary
from desktop.db.models import AuditEvent
from desktop.intake import Intake
from desktop.receipt import money
from rules.bidi import is_isolated
from rules.normalize import to_ascii_digits, to_persian_digits
from tests.ui.conftest import MakeCtx, clerk_named, sample_for
from tests.ui.test_receipt import MM, FakePrintDialog, says, visual_lines
from ui import dayclose_dialog, printing
from ui.context import AppContext
from ui.dayclose_dialog import DayCloseDialog, render_summary_pdf, tehran_today

DAY = tehran_today() - dt.timedelta(days=3)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TEHRAN).astimezone(dt.UTC)


def _save(ctx: AppContext, who: ClerkInfo, service: str, when: dt.datetime, seed: int) -> None:
    Intake(ctx.store, ctx.catalogs, clock=lambda: when).save(
        who, sample_for(ctx, service, seed=seed)
    )


@pytest.fixture
def day_ctx(make_ctx: MakeCtx, office_store: Any) -> AppContext:
    """The manager logged in; two clerks' requests on DAY, one just before it."""
    ctx = make_ctx(office_store, clerk="modir")
    clerk, manager = clerk_named(ctx, "karmand"), clerk_named(ctx, "modir")
    _save(ctx, clerk, "smart_card", at(DAY, 9), 1)
    _save(ctx, clerk, "bill_payment", at(DAY, 10), 2)
    _save(ctx, clerk, "bill_payment", at(DAY, 23, 50), 3)  # 20:20 UTC
    _save(ctx, manager, "fuel_card", at(DAY, 11), 4)
    _save(ctx, manager, "fuel_card", at(DAY, 0) - dt.timedelta(minutes=1), 5)  # the day before
    return ctx


def _open(qtbot: Any, ctx: AppContext) -> DayCloseDialog:
    dialog = DayCloseDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.set_day(DAY)
    qtbot.waitUntil(
        lambda: (
            dialog.loaded_summary is not None
            and dialog.loaded_summary.day == DAY
            and not ctx.worker.busy
        ),
        timeout=10_000,
    )
    return dialog


def _audit(ctx: AppContext, action: Action) -> list[dict[str, Any]]:
    with ctx.store.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.action == str(action)).order_by(AuditEvent.id)
        ).all()
        return [json.loads(e.detail) for e in rows]


def test_the_table_shows_the_days_summary_for_a_manager(
    qtbot: Any, qtmodeltester: Any, day_ctx: AppContext
) -> None:
    dialog = _open(qtbot, day_ctx)
    expected = day_summary(day_ctx.store, DAY)
    assert expected.total.count == 4  # the request a minute before midnight is not in it
    model = dialog.model
    qtmodeltester.check(model)
    # Two clerks: their lines, a subtotal each, then the total and the corrections.
    assert model.rowCount() == len(expected.lines) + 2 + 2
    kinds = [model.row(i).kind for i in range(model.rowCount())]
    assert kinds[-2:] == ["total", "corrections"] and kinds.count("clerk_total") == 2
    total_row = model.rowCount() - 2
    shown = [model.index(total_row, c).data() for c in range(3, 9)]
    k = expected.total
    assert shown == [
        to_persian_digits(f"{v:,}".replace(",", "٬"))
        for v in (k.count, k.government, k.office, k.vat, k.collected, k.total)
    ]
    assert model.index(total_row, 7).data(Qt.ItemDataRole.TextAlignmentRole) & int(
        Qt.AlignmentFlag.AlignRight
    )
    assert money(k.total, "fa") in dialog.totals.text()
    # The day picker is Jalali, reads left to right, and only goes up to today.
    edit = dialog.date_edit
    assert edit.calendar().name() == QCalendar(QCalendar.System.Jalali).name()
    assert edit.layoutDirection() == Qt.LayoutDirection.LeftToRight
    assert to_ascii_digits(edit.text()) == expected.jalali
    assert edit.maximumDate().toPython() == tehran_today()
    calendar = edit.calendarWidget()
    assert calendar.weekdayTextFormat(Qt.DayOfWeek.Friday).foreground().color() != (
        calendar.weekdayTextFormat(Qt.DayOfWeek.Saturday).foreground().color()
    )
    # A manager may pick any clerk: the list fills in from the worker.
    qtbot.waitUntil(lambda: dialog.clerk_combo.count() == 3, timeout=10_000)
    assert dialog.clerk_combo.isEnabled()
    dialog.clerk_combo.setCurrentIndex(dialog.clerk_combo.findText("سارا کریمی"))
    qtbot.waitUntil(
        lambda: dialog.loaded_summary is not None and dialog.loaded_summary.clerk_id is not None,
        timeout=10_000,
    )
    assert dialog.loaded_summary.total.count == 3


def test_a_clerk_sees_only_their_own_day(
    qtbot: Any, make_ctx: MakeCtx, day_ctx: AppContext
) -> None:
    clerk_ctx = make_ctx(day_ctx.store, clerk="karmand")
    dialog = _open(qtbot, clerk_ctx)
    assert not dialog.clerk_combo.isEnabled() and dialog.clerk_combo.count() == 1
    assert dialog.clerk_combo.currentText() == "سارا کریمی"
    summary = dialog.loaded_summary
    assert summary is not None and summary.clerk_id == clerk_named(clerk_ctx, "karmand").id
    assert {x.clerk_username for x in summary.lines} == {"karmand"}
    assert summary.total.count == 3


def test_export_csv_through_the_file_dialog(
    qtbot: Any, day_ctx: AppContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dialog = _open(qtbot, day_ctx)
    target = tmp_path / "روز.csv"
    asked: list[str] = []

    def save_name(*args: Any) -> tuple[str, str]:
        asked.append(args[2])
        return str(target), "CSV (*.csv)"

    monkeypatch.setattr(dayclose_dialog.QFileDialog, "getSaveFileName", save_name)
    dialog.csv_button.click()
    qtbot.waitUntil(lambda: str(target) in dialog.status.text(), timeout=10_000)
    assert is_isolated(dialog.status.text(), str(target))  # a Latin path, a Persian name
    assert asked[0].endswith(f"pishkhan-day-{dialog.loaded_summary.jalali.replace('/', '-')}.csv")
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(target, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    expected = day_summary(day_ctx.store, DAY)
    assert len(rows) == 2 + len(expected.lines) + 2
    assert rows[-2][0] == "جمع کل" and rows[-2][-1] == str(expected.total.total)
    assert _audit(day_ctx, Action.DAY_EXPORTED)[0]["how"] == "csv"
    # The store is encrypted at rest, the exported file is not: the clerk is told.
    notice = dayclose_dialog.EXPORT_IS_PLAIN.text(day_ctx.lang)
    assert notice in dialog.status.text() and dialog.csv_button.toolTip() == notice
    assert "دادهٔ شخصی" in notice or "personal data" in notice


def test_a_cancelled_file_dialog_writes_nothing(
    qtbot: Any, day_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _open(qtbot, day_ctx)
    monkeypatch.setattr(dayclose_dialog.QFileDialog, "getSaveFileName", lambda *args: ("", ""))
    dialog.csv_button.click()
    dialog.pdf_button.click()
    qtbot.waitUntil(lambda: not day_ctx.worker.busy, timeout=10_000)
    assert _audit(day_ctx, Action.DAY_EXPORTED) == []


def test_close_the_day_after_confirming(
    qtbot: Any, day_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = _open(qtbot, day_ctx)
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(dayclose_dialog.QMessageBox, "question", lambda *args: answers.pop(0))
    dialog.close_day_button.click()  # "No": nothing recorded
    assert _audit(day_ctx, Action.DAY_CLOSED) == []
    dialog.close_day_button.click()
    qtbot.waitUntil(lambda: bool(_audit(day_ctx, Action.DAY_CLOSED)), timeout=10_000)
    (closed,) = _audit(day_ctx, Action.DAY_CLOSED)
    assert closed["scope"] == "all" and closed["day"] == DAY.isoformat()
    assert closed["totals"]["count"] == 4
    qtbot.waitUntil(
        lambda: to_persian_digits("1") in dialog.status.text() and not day_ctx.worker.busy,
        timeout=10_000,
    )
    assert dialog.close_day_button.isEnabled()


@pytest.mark.parametrize("page", ["a4", "a5"])
def test_summary_pdf_is_right_to_left_on_the_chosen_page(
    qtbot: Any,
    day_ctx: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    page: str,
) -> None:
    dialog = _open(qtbot, day_ctx)
    dialog.page_combo.setCurrentIndex(dialog.page_combo.findData(page))
    target = tmp_path / f"summary-{page}.pdf"
    monkeypatch.setattr(
        dayclose_dialog.QFileDialog, "getSaveFileName", lambda *args: (str(target), "")
    )
    dialog.pdf_button.click()
    qtbot.waitUntil(lambda: bool(_audit(day_ctx, Action.DAY_EXPORTED)), timeout=10_000)
    assert _audit(day_ctx, Action.DAY_EXPORTED)[0]["how"] == "pdf"
    reader = PdfReader(target)
    box = reader.pages[0].mediabox
    size = (round(float(box.width) / MM), round(float(box.height) / MM))
    assert size == {"a4": (210, 297), "a5": (148, 210)}[page]
    lines = visual_lines(target)
    summary = day_summary(day_ctx.store, DAY)
    assert any(money(summary.total.total, "fa") in line for line in lines)
    assert says(lines, "گزارش بستن روز")
    assert says(lines, "سارا کریمی")
    # Right to left: the service column is the rightmost, the totals the leftmost.
    header = next(line for line in lines if says([line], "کارمزد دفتر"))
    assert says([header[len(header) // 2 :]], "خدمت")


def test_summary_on_paper_through_the_print_dialog(
    qtbot: Any, day_ctx: AppContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dialog = _open(qtbot, day_ctx)
    FakePrintDialog.answer = QDialog.DialogCode.Accepted
    FakePrintDialog.output = tmp_path / "paper.pdf"
    FakePrintDialog.seen = []
    monkeypatch.setattr(printing, "QPrintDialog", FakePrintDialog)
    dialog.print_button.click()
    qtbot.waitUntil(lambda: bool(_audit(day_ctx, Action.DAY_EXPORTED)), timeout=10_000)
    assert _audit(day_ctx, Action.DAY_EXPORTED)[0]["how"] == "paper"
    assert len(PdfReader(FakePrintDialog.output).pages) == 1


def test_a_long_day_runs_over_pages_with_the_header_repeated(
    day_ctx: AppContext, tmp_path: Path
) -> None:
    manager = clerk_named(day_ctx, "modir")
    services = [s.code for s in day_ctx.catalogs.current().active_services()]
    for i in range(60):  # many services x clerks: a long table
        clerk = manager if i % 2 else clerk_named(day_ctx, "karmand")
        _save(day_ctx, clerk, services[i % len(services)], at(DAY, 8, i % 60), 100 + i)
    summary = day_summary(day_ctx.store, DAY)
    path = render_summary_pdf(summary, tmp_path / "long.pdf", page="a5")
    pages = len(PdfReader(path).pages)
    assert pages >= 2
    for number in range(pages):
        lines = visual_lines(path, number)
        assert says(lines, "کارمزد دفتر")  # the table's header on every page
        assert says(lines, to_persian_digits(f"{number + 1} از {pages}"))
