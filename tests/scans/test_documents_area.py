"""The form's documents area, driven as a clerk drives it: files, folder, paste, keys, save.

Real widgets on a real store (the UI fixtures' office with the scan catalogue published),
real files in tmp_path, shrinking on the worker's side threads; the save goes through the
real intake, and what it stored is read back.
"""

from __future__ import annotations

import io
import sqlite3
import threading
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication, QImage
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from bench.scan_pages import a4_text_page, colour_photo
from desktop.scans.budgets import BUDGETS, ScanKind
from desktop.scans.shrink import JPEG
from rules.bidi import ltr
from tests.scans.scan_catalog import publish_with_scans
from tests.ui.conftest import (
    fill_form,
    make_ctx,
    office_store,
    persian_ui,
    sample_for,
    store_templates,
    themed_app,
    ui_ctx,
    ui_data_dir,
)
from ui.context import AppContext
from ui.documents_area import NOT_CHOSEN, DocumentsArea
from ui.request_form import RequestForm

__all__ = [
    "make_ctx",
    "office_store",
    "persian_ui",
    "store_templates",
    "themed_app",
    "ui_ctx",
    "ui_data_dir",
]

SERVICE = "self_employed_insurance"  # national_card required, three more optional


@pytest.fixture(scope="module")
def page_jpeg() -> bytes:
    return a4_text_page().jpeg()


@pytest.fixture
def form(qtbot: QtBot, ui_ctx: AppContext) -> RequestForm:
    publish_with_scans(ui_ctx.catalogs)
    form = RequestForm(ui_ctx)
    qtbot.addWidget(form)
    form.resize(1200, 900)
    form.show()
    form.picker.choose(SERVICE)
    return form


def _settled(qtbot: QtBot, area: DocumentsArea, count: int) -> None:
    qtbot.waitUntil(lambda: not area.busy and len(area.pending) == count, timeout=20_000)


def _file(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_a_file_is_shrunk_beside_the_gui_thread_and_shown_as_a_thumbnail(
    qtbot: QtBot, form: RequestForm, tmp_path: Path, page_jpeg: bytes
) -> None:
    area = form.documents_area
    assert area.isVisible() and area.needs()
    threads: list[str] = []
    runner = area._run_aside

    def watched(job, done, failed):  # type: ignore[no-untyped-def]
        def job_on_its_thread() -> object:
            threads.append(threading.current_thread().name)
            return job()

        runner(job_on_its_thread, done, failed)

    area._run_aside = watched
    area.add_file(_file(tmp_path, "card.jpg", page_jpeg), "national_card")
    assert area.busy and area.status.isVisible()  # the GUI thread is not waiting for it
    _settled(qtbot, area, 1)
    assert threads and threads[0] != threading.main_thread().name
    assert area.list.count() == 1 and not area.list.item(0).icon().isNull()
    (scan,) = area.scans()
    assert scan.document == "national_card" and scan.kind is ScanKind.DOCUMENT
    assert scan.part.media_type == JPEG
    assert len(scan.part.data) <= BUDGETS[ScanKind.DOCUMENT].max_bytes
    assert area.status.isHidden()


def test_a_bad_file_is_told_in_persian_and_nothing_is_kept(
    qtbot: QtBot, form: RequestForm, tmp_path: Path
) -> None:
    area = form.documents_area
    area.add_file(_file(tmp_path, "letter.jpg", b"this is no image at all" * 100), "national_card")
    qtbot.waitUntil(lambda: not area.busy, timeout=20_000)
    assert area.pending == () and area.error.isVisible()
    # The file's name isolated left to right, the line led by the Persian mark (rules.bidi).
    assert area.error.text().startswith(
        f"\u200f{ltr('letter.jpg')}: این پرونده تصویر یا PDF خوانا نیست"
    )


def test_a_required_scan_missing_is_a_field_error_at_the_area(
    qtbot: QtBot, ui_ctx: AppContext, form: RequestForm
) -> None:
    fill_form(form, sample_for(ui_ctx, SERVICE))
    form.save()
    qtbot.waitUntil(lambda: not form.saving, timeout=20_000)
    assert "scans" in form.error_keys()
    assert form.error_text("scans.national_card") == form.documents_area.error.text()
    assert "کارت ملی" in form.documents_area.error.text()
    assert form.documents_area.list.hasFocus()
    assert form.documents_area.title() in form.summary.text()


def test_the_watched_folder_adds_new_files_and_the_clerk_says_which_document_each_is(
    qtbot: QtBot, ui_ctx: AppContext, form: RequestForm, tmp_path: Path, page_jpeg: bytes
) -> None:
    folder = tmp_path / "scanner"
    _file(folder, "old.jpg", page_jpeg)  # there before: not taken
    area = form.documents_area
    area.watch(folder)
    assert "scanner" in area.status.text()
    _file(folder, "scan-0001.jpg", page_jpeg)
    _file(folder, "notes.txt", b"not a scan")
    _settled(qtbot, area, 1)
    assert area.pending[0].name == "scan-0001.jpg" and area.pending[0].document is None
    assert area.scans() == []  # no document yet: nothing the draft would carry

    fill_form(form, sample_for(ui_ctx, SERVICE))
    form.save()
    assert form.error_text("scans") == NOT_CHOSEN.fa and not form.saving

    area.list.setCurrentRow(0)
    index = area.document.findData("national_card")
    area.document.setCurrentIndex(index)
    area.document.activated.emit(index)
    assert area.unassigned() == 0 and [s.document for s in area.scans()] == ["national_card"]

    with qtbot.waitSignal(form.saved, timeout=20_000) as saved:
        form.save()
    request_id = saved.args[0].id
    conn = sqlite3.connect(ui_ctx.store.path)
    try:
        rows = conn.execute(
            "SELECT document, pages, media_type FROM scan_parts WHERE request_id = ?",
            (request_id,),
        ).fetchall()
    finally:
        conn.close()
    assert rows == [("national_card", 1, JPEG)]
    assert area.pending == ()  # the form is cleared for the next citizen


def test_a_photo_document_is_shrunk_again_in_colour_when_chosen(
    qtbot: QtBot, ui_ctx: AppContext, tmp_path: Path
) -> None:
    publish_with_scans(ui_ctx.catalogs)
    form = RequestForm(ui_ctx)
    qtbot.addWidget(form)
    form.picker.choose("driving_licence")  # it has a "photo" document
    area = form.documents_area
    area.add_file(_file(tmp_path, "photo.jpg", colour_photo(size=(900, 1200))), None)
    _settled(qtbot, area, 1)
    assert area.pending[0].scan.kind is ScanKind.DOCUMENT
    area.list.setCurrentRow(0)
    index = area.document.findData("photo")
    area.document.activated.emit(index)
    _settled(qtbot, area, 1)
    assert area.pending[0].document == "photo" and area.pending[0].scan.kind is ScanKind.PHOTO
    with Image.open(io.BytesIO(area.scans()[0].part.data)) as image:
        assert image.mode == "RGB"


def test_paste_drop_rotate_reorder_and_remove_from_the_keyboard(
    qtbot: QtBot, form: RequestForm, tmp_path: Path, page_jpeg: bytes
) -> None:
    area = form.documents_area
    image = QImage(400, 600, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    QGuiApplication.clipboard().setImage(image)
    area.list.setFocus()
    QTest.keyClick(area.list, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    _settled(qtbot, area, 1)
    assert area.pending[0].document == "national_card"  # the first required one not scanned

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(_file(tmp_path, "dropped.jpg", page_jpeg)))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    area.list.setCurrentRow(-1)
    area.document.setCurrentIndex(area.document.findData("job_evidence"))
    area.dropEvent(drop)
    _settled(qtbot, area, 2)
    assert [p.name for p in area.pending] == ["paste.png", "dropped.jpg"]
    assert area.pending[1].document == "job_evidence"

    before = area.pending[1].scan.parts[0]
    area.list.setFocus()
    area.list.setCurrentRow(1)
    QTest.keyClick(area.list, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    _settled(qtbot, area, 2)
    after = area.pending[1].scan.parts[0]
    assert before.height > before.width and after.width > after.height  # now landscape
    # Turned on the source's pixels and encoded once, within the page's budget (this noisy
    # page fits it upright at full size, turned only at 85 %: JPEG's blocks see it anew).
    assert len(after.data) <= BUDGETS[ScanKind.DOCUMENT].max_bytes
    assert area.pending[1].name == "dropped.jpg"  # rotated in its place

    area.list.setCurrentRow(1)
    QTest.keyClick(area.list, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert [p.name for p in area.pending] == ["dropped.jpg", "paste.png"]
    assert area.list.currentRow() == 0
    QTest.keyClick(area.list, Qt.Key.Key_Delete)
    assert [p.name for p in area.pending] == ["paste.png"]

    dialog = area.preview()
    assert dialog is not None and dialog.isVisible()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_tab_walks_through_the_documents_area(
    qtbot: QtBot, ui_ctx: AppContext, form: RequestForm, tmp_path: Path, page_jpeg: bytes
) -> None:
    from tests.ui.test_keyboard_walk import check_walk

    area = form.documents_area
    area.add_file(_file(tmp_path, "card.jpg", page_jpeg), "national_card")
    _settled(qtbot, area, 1)
    form.activateWindow()
    check_walk(qtbot, form)
    chain = form._chain
    assert chain.index(area.list) > chain.index(next(iter(form.document_boxes.values())))
    assert chain.index(area.buttons["remove"]) < chain.index(form.card_ref)


def test_scans_stay_in_the_order_added_whichever_shrinks_first(
    qtbot: QtBot, form: RequestForm, tmp_path: Path, page_jpeg: bytes
) -> None:
    area = form.documents_area
    small = QImage(200, 300, QImage.Format.Format_RGB32)
    small.fill(Qt.GlobalColor.white)
    area.add_file(_file(tmp_path, "big.jpg", page_jpeg), "national_card")
    area.add_image(small, "job_evidence")
    area.add_file(_file(tmp_path, "also-big.jpg", page_jpeg), "birth_certificate")
    _settled(qtbot, area, 3)
    assert [p.name for p in area.pending] == ["big.jpg", "paste.png", "also-big.jpg"]
    assert [s.document for s in area.scans()] == [
        "national_card",
        "job_evidence",
        "birth_certificate",
    ]


def test_the_focused_control_of_the_area_is_clearly_marked(
    qtbot: QtBot, form: RequestForm, tmp_path: Path, page_jpeg: bytes
) -> None:
    from PySide6.QtWidgets import QApplication

    from tests.ui.test_keyboard_walk import differing_pixels

    area = form.documents_area
    area.add_file(_file(tmp_path, "card.jpg", page_jpeg), "national_card")
    _settled(qtbot, area, 1)
    faint = []
    for widget in [area.document, *area.buttons.values()]:
        form.card_ref.setFocus(Qt.FocusReason.TabFocusReason)
        QApplication.processEvents()
        plain = widget.grab().toImage()
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        QApplication.processEvents()
        assert widget.hasFocus()
        focused = widget.grab().toImage()
        if differing_pixels(plain, focused) < 3 * (widget.width() + widget.height()):
            faint.append(widget.objectName())
    assert not faint, f"focus hard to see on: {faint}"
