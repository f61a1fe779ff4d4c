"""The preview of one scan before the save: its pages at reading size, one at a time.

Opened by Enter on a thumbnail (``ui.documents_area``). Every page is drawn on a thread
beside the GUI's (the area's ``run_aside``): a JPEG page decoded and fitted there, a PDF kept
whole rendered page by page by PDFium under the one lock (``desktop.scans.pdfpages``); the
GUI thread only turns the finished picture into a pixmap. A page drawn is kept, so paging
back shows it at once; a picture that arrives for a page no longer shown waits in the
cache. Keyboard only: PageDown/PageUp, Down/Up and the arrows page (in Persian the left
arrow goes forward, as the pages of a Persian book turn), Home/End jump, Esc closes.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QGuiApplication, QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from desktop.scans.pdfpages import PageNotShown, page_of
from desktop.scans.shrink import PDF, ShrunkScan
from rules.bidi import ltr
from rules.messages import Message
from ui.documents_parts import Runner
from ui.theme import action_buttons, isolate

T = {
    "page": Message("صفحهٔ {n} از {count}", "Page {n} of {count}"),
    "back": Message("صفحهٔ قبل", "Previous page"),
    "next": Message("صفحهٔ بعد", "Next page"),
    "close": Message("بستن", "Close"),
    "drawing": Message("در حال آماده‌سازی صفحه…", "Preparing the page…"),
    "not_shown": Message(
        "این صفحه نشان داده نمی‌شود (شاید آسیب دیده باشد)",
        "This page cannot be shown (it may be damaged)",
    ),
    "keys": Message(  # the keys' names isolated left to right in the Persian sentence
        f"صفحهٔ بعد: ← یا {ltr('PageDown')} · صفحهٔ قبل: → یا {ltr('PageUp')} · بستن: {ltr('Esc')}",
        "Next page: → or PageDown · previous: ← or PageUp · close: Esc",
    ),
}


def page_places(scan: ShrunkScan) -> list[tuple[int, int]]:
    """(part, page within the part) of every page of `scan`, in reading order."""
    return [(i, page) for i, part in enumerate(scan.parts) for page in range(part.pages)]


def draw_page(scan: ShrunkScan, part: int, page: int, box: QSize) -> QImage:
    """One page fitted into `box` (a worker thread's work); `PageNotShown` if it cannot be."""
    stored = scan.parts[part]
    if stored.media_type == PDF:
        drawn = page_of(stored.data, page, box.width(), box.height())
        rgb = drawn.image
        image = QImage(
            rgb.tobytes(), rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888
        )
        return image.copy()  # a copy: the bytes above are temporary
    image = QImage.fromData(stored.data)
    if image.isNull():
        raise PageNotShown("the picture cannot be decoded")
    return image.scaled(
        box, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
    )


class ScanPreview(QDialog):
    """One scan's pages, one at a time, drawn off the GUI thread (non-modal; Esc closes)."""

    def __init__(
        self,
        name: str,
        scan: ShrunkScan,
        lang: str,
        run_aside: Runner,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("scanPreview")
        self._lang = lang
        self._scan = scan
        self._run_aside = run_aside
        self._places = page_places(scan)
        self._drawn: dict[int, QImage | None] = {}  # None: could not be drawn
        self._asked: set[int] = set()
        self.current = 0
        self.setWindowTitle(isolate(ltr(name), lang))
        self.setLayoutDirection(
            Qt.LayoutDirection.RightToLeft if lang == "fa" else Qt.LayoutDirection.LeftToRight
        )
        screen = QGuiApplication.primaryScreen().availableGeometry()
        width, height = min(820, screen.width() - 40), min(960, screen.height() - 40)
        self.resize(width, height)
        self.box = QSize(width - 40, height - 140)  # the page's room under the title bar
        self.page = QLabel(self)
        self.page.setObjectName("previewPage")
        self.page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.page.setMinimumSize(self.box)
        self.caption = QLabel(self)
        self.caption.setObjectName("previewCaption")
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        keys = QLabel(isolate(T["keys"].text(lang), lang), self)
        keys.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Buttons for the mouse, and for Tab: the keys above work whichever has the focus.
        actions: list[tuple[str, Callable[[], object]]] = [
            ("back", lambda: self.show_page(self.current - 1)),
            ("next", lambda: self.show_page(self.current + 1)),
            ("close", self.close),
        ]
        row, self.buttons = action_buttons(
            self, [(key, T[key].text(lang), action) for key, action in actions], "preview"
        )
        column = QVBoxLayout(self)
        column.addWidget(self.page, 1)
        column.addWidget(self.caption)
        column.addWidget(keys)
        column.addLayout(row)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.show_page(0)

    @property
    def pages(self) -> int:
        return len(self._places)

    def drawn(self, index: int) -> bool:
        """Whether page `index` has come back from its thread (drawn or not drawable)."""
        return index in self._drawn

    def show_page(self, index: int) -> None:
        if not self._places:
            return
        self.current = max(0, min(index, self.pages - 1))
        self.caption.setText(
            T["page"].format(n=self.current + 1, count=self.pages).text(self._lang)
        )
        self._put(self.current)
        for near in (self.current, self.current + 1):  # the next one ready before it is asked
            self._ask(near)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        forward, back = Qt.Key.Key_Right, Qt.Key.Key_Left
        if self._lang == "fa":
            forward, back = back, forward
        steps: dict[int, int] = {
            Qt.Key.Key_PageDown: 1,
            Qt.Key.Key_Down: 1,
            forward: 1,
            Qt.Key.Key_PageUp: -1,
            Qt.Key.Key_Up: -1,
            back: -1,
        }
        if key in steps:
            self.show_page(self.current + steps[key])
        elif key == Qt.Key.Key_Home:
            self.show_page(0)
        elif key == Qt.Key.Key_End:
            self.show_page(self.pages - 1)
        else:
            super().keyPressEvent(event)  # Esc closes

    def _ask(self, index: int) -> None:
        if not 0 <= index < self.pages or index in self._asked:
            return
        self._asked.add(index)
        part, page = self._places[index]
        scan, box = self._scan, QSize(self.box)

        def done(result: object) -> None:
            assert isinstance(result, QImage)
            self._arrived(index, result)

        def failed(exc: BaseException) -> None:
            if not isinstance(exc, PageNotShown):
                raise exc
            self._arrived(index, None)

        self._run_aside(lambda: draw_page(scan, part, page, box), done, failed)

    def _arrived(self, index: int, image: QImage | None) -> None:
        if not shiboken6.isValid(self):  # closed (and deleted) while the page was drawn
            return
        self._drawn[index] = image
        if index == self.current:
            self._put(index)

    def _put(self, index: int) -> None:
        if index not in self._drawn:
            self.page.setPixmap(QPixmap())
            self.page.setText(T["drawing"].text(self._lang))
            return
        image = self._drawn[index]
        if image is None:
            self.page.setPixmap(QPixmap())
            self.page.setText(T["not_shown"].text(self._lang))
            return
        self.page.setPixmap(QPixmap.fromImage(image))
