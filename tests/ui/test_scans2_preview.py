"""The preview of a scan (Enter on its thumbnail): a PDF's pages one at a time, paged from
the keyboard, every page drawn off the GUI thread; a JPEG page decoded off it too.

The real request form on the UI fixtures' office with the scan catalogue published, real
PDF files written in tmp_path (Pillow: each page a black block at its own height, so which
page is shown can be read off the picture), the area's own worker threads.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.db.engine import Store
from desktop.scans.shrink import JPEG, PDF, ShrunkScan
from rules.bidi import ltr
from tests.ui.conftest import CLERK_USER, MakeCtx
from tests.ui.scan_forms import add_scan, page_missing_pdf, scan_form
from ui.context import AppContext
from ui.documents_area import DocumentsArea
from ui.documents_parts import T as NO_PAGE_T
from ui.request_form import RequestForm
from ui.scan_preview import ScanPreview, T

NO_PAGE = NO_PAGE_T["no_page"]
BANDS = 4  # a page's block sits in band (page number % BANDS) of its height


def _banded_pdf(pages: int) -> bytes:
    sheets = []
    for number in range(pages):
        sheet = Image.new("L", (300, 424), 255)
        band = number % BANDS
        top = 10 + band * 100
        ImageDraw.Draw(sheet).rectangle((30, top, 270, top + 80), fill=0)
        sheets.append(sheet)
    out = io.BytesIO()
    sheets[0].save(out, "PDF", resolution=36, save_all=True, append_images=sheets[1:])
    return out.getvalue()


@pytest.fixture
def form(qtbot: QtBot, ui_ctx: AppContext) -> RequestForm:
    return scan_form(qtbot, ui_ctx)


def _open_with_enter(qtbot: QtBot, area: DocumentsArea, row: int) -> ScanPreview:
    area.list.setFocus()
    area.list.setCurrentRow(row)
    QTest.keyClick(area.list, Qt.Key.Key_Return)
    previews = [p for p in area.findChildren(ScanPreview) if p.isVisible()]
    assert len(previews) == 1
    return previews[0]


def _shown_band(qtbot: QtBot, preview: ScanPreview) -> int:
    """Which band of the shown page holds the black block (waits for the page)."""
    qtbot.waitUntil(lambda: preview.drawn(preview.current), timeout=20_000)
    image = preview.page.pixmap().toImage().convertToFormat(QImage.Format.Format_RGB32)
    assert not image.isNull() and image.height() > 300  # drawn at reading size
    x = image.width() // 2
    dark = [y for y in range(image.height()) if image.pixelColor(x, y).lightness() < 60]
    assert dark, "the page's block is not on the picture"
    middle = (dark[0] + dark[-1]) / 2 / image.height()
    return int(middle * 424 - 10) // 100


def _spy_on_drawing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import ui.scan_preview as preview

    threads: list[str] = []
    real = preview.draw_page

    def watched(scan: ShrunkScan, part: int, page: int, box: QSize) -> QImage:
        threads.append(threading.current_thread().name)
        return real(scan, part, page, box)

    monkeypatch.setattr(preview, "draw_page", watched)
    return threads


def test_a_pdf_pages_through_from_the_keyboard_drawn_off_the_gui_thread(
    qtbot: QtBot, form: RequestForm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _spy_on_drawing(monkeypatch)
    area = form.documents_area
    add_scan(qtbot, area, tmp_path / "letter.pdf", _banded_pdf(3), 1)
    assert [p.media_type for p in area.pending[0].scan.parts] == [PDF]  # kept whole

    preview = _open_with_enter(qtbot, area, 0)
    assert preview.pages == 3
    assert _shown_band(qtbot, preview) == 0
    assert preview.caption.text() == "صفحهٔ ۱ از ۳"
    assert preview.layoutDirection() == Qt.LayoutDirection.RightToLeft
    # Persian: the left arrow turns forward, the right one back; PageDown/PageUp as always.
    QTest.keyClick(preview, Qt.Key.Key_Left)
    assert (preview.current, preview.caption.text()) == (1, "صفحهٔ ۲ از ۳")
    assert _shown_band(qtbot, preview) == 1
    QTest.keyClick(preview, Qt.Key.Key_PageDown)
    assert _shown_band(qtbot, preview) == 2
    QTest.keyClick(preview, Qt.Key.Key_PageDown)  # the last page stays
    assert preview.current == 2
    QTest.keyClick(preview, Qt.Key.Key_Right)
    assert _shown_band(qtbot, preview) == 1
    QTest.keyClick(preview, Qt.Key.Key_PageUp)
    assert _shown_band(qtbot, preview) == 0
    QTest.keyClick(preview, Qt.Key.Key_End)
    assert preview.current == 2
    QTest.keyClick(preview, Qt.Key.Key_Home)
    assert preview.current == 0
    assert threads and threading.main_thread().name not in threads
    assert len(threads) == 3  # each page drawn once, then kept
    QTest.keyClick(preview, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not [p for p in area.findChildren(ScanPreview) if p.isVisible()])


def test_a_jpeg_page_is_decoded_off_the_gui_thread(
    qtbot: QtBot, form: RequestForm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = _spy_on_drawing(monkeypatch)
    area = form.documents_area
    sheet = Image.new("RGB", (600, 848), "white")
    ImageDraw.Draw(sheet).rectangle((60, 20, 540, 180), fill="black")
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=90)
    add_scan(qtbot, area, tmp_path / "scan-0001.jpg", out.getvalue(), 1)
    assert [p.media_type for p in area.pending[0].scan.parts] == [JPEG]
    preview = _open_with_enter(qtbot, area, 0)
    assert preview.pages == 1
    assert _shown_band(qtbot, preview) == 0
    assert preview.caption.text() == "صفحهٔ ۱ از ۱"
    assert threads and threading.main_thread().name not in threads
    QTest.keyClick(preview, Qt.Key.Key_Escape)


def test_a_damaged_pdf_says_its_page_cannot_be_shown(
    qtbot: QtBot, form: RequestForm, tmp_path: Path
) -> None:
    area = form.documents_area
    add_scan(qtbot, area, tmp_path / "torn.pdf", page_missing_pdf(), 1)
    preview = _open_with_enter(qtbot, area, 0)
    qtbot.waitUntil(lambda: preview.drawn(0), timeout=20_000)
    assert preview.page.text() == T["not_shown"].fa
    assert preview.page.pixmap().isNull()
    # The thumbnail's tip: the name isolated on its own line, each line led by the mark.
    name, why = area.list.item(0).toolTip().splitlines()
    assert name == f"\u200f{ltr('torn.pdf')}"
    assert why == f"\u200f{NO_PAGE.fa}"
    assert preview.windowTitle() == f"\u200f{ltr('torn.pdf')}"
    QTest.keyClick(preview, Qt.Key.Key_Escape)


def test_in_english_the_right_arrow_turns_forward(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store, tmp_path: Path
) -> None:
    form = scan_form(qtbot, make_ctx(office_store, clerk=CLERK_USER, lang="en"))
    area = form.documents_area
    add_scan(qtbot, area, tmp_path / "letter.pdf", _banded_pdf(2), 1)
    preview = _open_with_enter(qtbot, area, 0)
    assert preview.caption.text() == "Page 1 of 2"
    QTest.keyClick(preview, Qt.Key.Key_Right)
    assert (preview.current, preview.caption.text()) == (1, "Page 2 of 2")
    assert _shown_band(qtbot, preview) == 1
    QTest.keyClick(preview, Qt.Key.Key_Left)
    assert preview.current == 0
    # With a button focused (Tab reaches them) the keys still page, the buttons click.
    close = preview.buttons["close"]
    close.setFocus()
    QTest.keyClick(close, Qt.Key.Key_PageDown)
    assert preview.current == 1
    QTest.mouseClick(preview.buttons["back"], Qt.MouseButton.LeftButton)
    assert preview.current == 0
    QTest.keyClick(preview, Qt.Key.Key_Escape)


def test_closing_before_the_page_arrives_loses_nothing(
    qtbot: QtBot, ui_ctx: AppContext, form: RequestForm, tmp_path: Path
) -> None:
    area = form.documents_area
    add_scan(qtbot, area, tmp_path / "letter.pdf", _banded_pdf(3), 1)
    preview = _open_with_enter(qtbot, area, 0)
    QTest.keyClick(preview, Qt.Key.Key_Escape)  # at once: its pages are still being drawn
    # The late pages' callbacks reach a deleted dialog and are ignored.
    qtbot.waitUntil(lambda: not ui_ctx.worker.busy, timeout=20_000)
    qtbot.waitUntil(lambda: not area.findChildren(ScanPreview))
    assert len(area.pending) == 1 and area.error.isHidden()
