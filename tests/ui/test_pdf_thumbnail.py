"""A PDF in the documents area shows its first page and its page count, drawn off the GUI
thread; a damaged or password PDF says so in the clerk's language and loses nothing else.

The real request form on the UI fixtures' office with the scan catalogue published, real
PDF files written in tmp_path (Pillow for a scanned-looking one, pypdf for a password one,
a hand-made one whose page object is missing), the area's own worker threads.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path

import pypdf
import pytest
from PIL import Image, ImageDraw
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from desktop.db.engine import Store
from desktop.scans import pdfpages, refusals
from desktop.scans.budgets import BUDGETS, ScanKind
from desktop.scans.shrink import JPEG, PDF, shrink_bytes
from rules.bidi import ltr
from tests.ui.conftest import CLERK_USER, MakeCtx, fill_form, sample_for
from tests.ui.scan_forms import SERVICE, add_scan, page_missing_pdf, scan_form
from ui.context import AppContext
from ui.documents_area import DocumentsArea
from ui.documents_parts import THUMB, T, plain_sheet, thumbnail_icon
from ui.request_form import RequestForm


def _scanned_pdf(pages: int) -> bytes:
    """A small PDF (so it travels whole) whose first page has a black block and lines."""
    sheets = []
    for number in range(pages):
        sheet = Image.new("L", (300, 424), 255)
        draw = ImageDraw.Draw(sheet)
        if number == 0:
            draw.rectangle((30, 30, 270, 150), fill=0)
            for y in range(190, 400, 24):
                draw.line((30, y, 270, y), fill=60, width=5)
        sheets.append(sheet)
    out = io.BytesIO()
    sheets[0].save(out, "PDF", resolution=36, save_all=True, append_images=sheets[1:])
    return out.getvalue()


def _password_pdf() -> bytes:
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def form(qtbot: QtBot, ui_ctx: AppContext) -> RequestForm:
    return scan_form(qtbot, ui_ctx)


def _icon(area: DocumentsArea, row: int) -> QImage:
    return (
        area.list.item(row)
        .icon()
        .pixmap(THUMB)
        .toImage()
        .convertToFormat(QImage.Format.Format_RGB32)
    )


def _differing(a: QImage, b: QImage, *, top: int, bottom: int) -> int:
    """Pixels of rows top..bottom that differ by more than a little between `a` and `b`."""
    assert a.size() == b.size()
    count = 0
    for y in range(top, bottom):
        for x in range(a.width()):
            pa, pb = a.pixelColor(x, y), b.pixelColor(x, y)
            if abs(pa.lightness() - pb.lightness()) > 40:
                count += 1
    return count


def _spy_on_first_page(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads `first_page` ran on (the real function still does the work)."""
    threads: list[str] = []
    real: Callable[[bytes, int, int], pdfpages.FirstPage] = pdfpages.first_page

    def watched(data: bytes, width: int, height: int) -> pdfpages.FirstPage:
        threads.append(threading.current_thread().name)
        return real(data, width, height)

    monkeypatch.setattr("ui.documents_parts.first_page", watched)
    return threads


def test_a_pdf_shows_its_first_page_and_its_page_count_drawn_off_the_gui_thread(
    qtbot: QtBot, form: RequestForm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _spy_on_first_page(monkeypatch)
    area = form.documents_area
    add_scan(qtbot, area, tmp_path / "bill.pdf", _scanned_pdf(3), 1)
    (item,) = area.pending
    assert [(p.media_type, p.pages) for p in item.scan.parts] == [(PDF, 3)]  # kept whole
    assert threads and threading.main_thread().name not in threads
    assert item.thumb is not None and item.thumb.shown
    # Not the plain sheet: the page's black block and lines are on the icon.
    sheet = thumbnail_icon(None, None).pixmap(THUMB).toImage()
    sheet = sheet.convertToFormat(QImage.Format.Format_RGB32)
    shown = _icon(area, 0)
    assert _differing(shown, sheet, top=5, bottom=THUMB.height() - 25) > 1500
    # The page count: on the sheet's foot band (dark, white text) and under it, in Persian.
    band = shown.pixelColor(THUMB.width() // 2 - 30, THUMB.height() - 4)
    assert band.lightness() < 120, band.name()  # the sheet is 255
    assert _differing(shown, sheet, top=THUMB.height() - 20, bottom=THUMB.height()) > 500
    assert area.list.item(0).text().endswith("۳ صفحه")
    assert area.error.isHidden()


def test_the_page_count_reads_in_english_in_the_english_ui(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store, tmp_path: Path
) -> None:
    form = scan_form(qtbot, make_ctx(office_store, clerk=CLERK_USER, lang="en"))
    area = form.documents_area
    add_scan(qtbot, area, tmp_path / "one.pdf", _scanned_pdf(1), 1)
    add_scan(qtbot, area, tmp_path / "two.pdf", _scanned_pdf(2), 2)
    assert [area.list.item(i).text().splitlines()[-1] for i in range(2)] == ["1 page", "2 pages"]


def test_a_pdf_whose_first_page_is_damaged_keeps_a_plain_sheet_and_says_why(
    qtbot: QtBot, ui_ctx: AppContext, form: RequestForm, tmp_path: Path
) -> None:
    fill_form(form, sample_for(ui_ctx, SERVICE))
    typed = form.draft()
    area = form.documents_area
    add_scan(qtbot, area, tmp_path / "good.pdf", _scanned_pdf(2), 1)
    add_scan(qtbot, area, tmp_path / "torn.pdf", page_missing_pdf(), 2)
    good, torn = area.pending
    assert torn.thumb is not None and not torn.thumb.shown
    assert torn.thumb.image == plain_sheet(THUMB)
    assert area.error.isVisible()
    # The name isolated left to right, the line led by the Persian mark (rules.bidi).
    assert area.error.text() == f"\u200f{ltr('torn.pdf')}: {T['no_page'].fa}"
    assert T["no_page"].en.startswith("The first page of this PDF cannot be shown")
    assert T["no_page"].fa in area.list.item(1).toolTip()
    # Nothing else lost: the good PDF still shows its page, both still go with the draft.
    assert good.thumb is not None and good.thumb.shown
    assert [s.part.pages for s in area.scans()] == [2, 1]
    after = form.draft()
    assert (after.applicant, after.answers, after.documents, after.card_ref) == (
        typed.applicant,
        typed.answers,
        typed.documents,
        typed.card_ref,
    )


def test_a_password_pdf_is_refused_in_the_clerks_language_and_the_rest_stays(
    qtbot: QtBot, ui_ctx: AppContext, form: RequestForm, tmp_path: Path
) -> None:
    fill_form(form, sample_for(ui_ctx, SERVICE))
    typed = form.draft()
    area = form.documents_area
    add_scan(qtbot, area, tmp_path / "good.pdf", _scanned_pdf(1), 1)
    locked = tmp_path / "locked.pdf"
    locked.write_bytes(_password_pdf())
    area.add_file(locked, "national_card")
    qtbot.waitUntil(lambda: not area.busy, timeout=20_000)
    assert area.error.text() == f"\u200f{ltr('locked.pdf')}: {refusals.PDF_PROTECTED.fa}"
    assert len(area.pending) == 1 and area.pending[0].name == "good.pdf"
    assert area.list.count() == 1
    assert form.draft().applicant == typed.applicant and form.draft().answers == typed.answers


def test_every_pdfium_document_is_opened_under_the_one_lock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PDFium is not thread-safe and the area shrinks on two threads: the thumbnail's
    drawing and the shrinking (a PDF kept whole, a large one rendered) both hold `PDFIUM`
    whenever a document is opened (the real class still opens it)."""
    held: list[bool] = []
    real = pdfpages.pdfium.PdfDocument

    def opened(*args: object, **kwargs: object) -> object:
        held.append(pdfpages.PDFIUM.locked())
        return real(*args, **kwargs)

    monkeypatch.setattr(pdfpages.pdfium, "PdfDocument", opened)
    small = _scanned_pdf(2)
    noisy = Image.effect_noise((1240, 1754), 80).convert("L")
    out = io.BytesIO()
    noisy.save(out, "PDF", resolution=150)
    large = out.getvalue()
    assert len(large) > BUDGETS[ScanKind.DOCUMENT].max_bytes  # so it is rendered, not kept
    assert pdfpages.first_page(small, 96, 128).pages == 2
    assert [p.media_type for p in shrink_bytes(small, ScanKind.DOCUMENT).parts] == [PDF]
    assert [p.media_type for p in shrink_bytes(large, ScanKind.DOCUMENT).parts] == [JPEG]
    assert held == [True, True, True]
    assert not pdfpages.PDFIUM.locked()
