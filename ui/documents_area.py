"""The request form's documents area: scans added, checked and put in order before the save.

A scan comes from a file (the dialog, or dropped on the area), from the watched scan folder
(a scanner's software saves there: each new file appears as a thumbnail, and the clerk
picks which document it is), or from the clipboard (a pasted image). Each is shrunk for
the line by ``desktop.scans.shrink`` on a thread beside the GUI's (``Worker.aside``: it
touches no store), so the form never freezes on a 40 MB TIFF; a file that cannot be a
scan is told in the clerk's language and nothing is kept. Before the save the clerk can
preview, rotate (turned on the source, shrunk again), reorder and remove. ``scans()`` is what the
draft carries; a required scan missing is a field error like any other (``show_error``).

Every action has a key: Ctrl+O add a file, Ctrl+V paste, Enter preview, Ctrl+R rotate,
Ctrl+Up/Ctrl+Down move, Delete remove; the document of the selected scan is chosen in the
combo box next to the list. Strings are ``Message``s (Persian and English) like the core's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QBuffer, QFileSystemWatcher, QIODevice, Qt, QTimer, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QImage,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.scans.attach import DocumentScan
from desktop.scans.budgets import ScanKind
from desktop.scans.shrink import PDF, ShrunkScan, shrink_bytes
from rules.bidi import ltr
from rules.catalog import ScanNeed, Service
from rules.errors import UserFacingError
from rules.messages import Message
from ui.documents_parts import (
    FOLDER_SETTLE_MS,
    NOT_CHOSEN,
    SCAN_SUFFIXES,
    STILL_BUSY,
    THUMB,
    PendingScan,
    Runner,
    T,
    pages_text,
    prepared,
    read_and_shrink,
    shrink_turned,
    thumbnail_icon,
)
from ui.scan_preview import ScanPreview
from ui.theme import action_buttons, isolate, set_role

__all__ = ["NOT_CHOSEN", "STILL_BUSY", "DocumentsArea", "PendingScan", "shrink_turned"]


class DocumentsArea(QGroupBox):
    """Scans for the service's documents; ``changed`` after every add, edit or removal."""

    changed = Signal()

    def __init__(self, lang: str, run_aside: Runner, parent: QWidget | None = None) -> None:
        super().__init__(T["title"].text(lang), parent)
        self.setObjectName("documentsArea")
        self._lang = lang
        self._run_aside = run_aside
        self._service: Service | None = None
        self._items: list[PendingScan] = []
        self._pending = 0
        self._tickets = 0
        self._watcher: QFileSystemWatcher | None = None
        self._folder: Path | None = None
        self._seen: set[str] = set()
        self._settling: dict[str, int] = {}
        self.setAcceptDrops(True)

        self.list = QListWidget(self)
        self.list.setObjectName("scanList")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(THUMB)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWrapping(False)
        self.list.setFlow(QListWidget.Flow.LeftToRight)
        self.list.setFixedHeight(THUMB.height() + 56)
        self.list.setTabKeyNavigation(False)
        self.list.currentRowChanged.connect(self._selected)
        self.list.itemActivated.connect(lambda _item: self.preview())
        self.document = QComboBox(self)
        self.document.setObjectName("scanDocument")
        self.document.activated.connect(self._document_chosen)
        buttons = [
            ("add", self.add_from_dialog),
            ("paste", self.paste),
            ("preview", self.preview),
            ("rotate", self.rotate),
            ("earlier", lambda: self.move_selected(-1)),
            ("later", lambda: self.move_selected(1)),
            ("remove", self.remove),
        ]
        row, self.buttons = action_buttons(
            self, [(key, T[key].text(lang), action) for key, action in buttons], "scan"
        )
        row.addStretch(1)
        which = QHBoxLayout()
        which.addWidget(QLabel(T["which"].text(lang), self))
        which.addWidget(self.document, 1)
        self.status = QLabel(self)
        set_role(self.status, "help")
        self.status.hide()
        self.error = QLabel(self)
        self.error.setObjectName("error_scans")
        self.error.setWordWrap(True)
        set_role(self.error, "error")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(which)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        for keys, action in (
            ("Ctrl+O", self.add_from_dialog),
            ("Ctrl+V", self.paste),
            ("Ctrl+R", self.rotate),
            ("Ctrl+Up", lambda: self.move_selected(-1)),
            ("Ctrl+Down", lambda: self.move_selected(1)),
            ("Delete", self.remove),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(action)
        self._refresh()

    # --- the service, the keys, the values ---------------------------------------------------

    def set_service(self, service: Service | None) -> None:
        """The documents ``service`` takes scans of; scans already added are dropped."""
        self._service = service
        self.clear()
        self.setVisible(bool(self.needs()))

    def needs(self) -> list[tuple[str, Message, ScanNeed]]:
        if self._service is None:
            return []
        return [
            (d.key, d.label, d.scan) for d in self._service.documents if d.scan is not ScanNeed.NONE
        ]

    def tab_chain(self) -> list[QWidget]:
        """The area's controls in Tab order (the form puts them after the documents seen)."""
        return [self.list, self.document, *self.buttons.values()]

    @property
    def busy(self) -> bool:
        return self._pending > 0

    @property
    def pending(self) -> Sequence[PendingScan]:
        return tuple(self._items)

    def unassigned(self) -> int:
        return sum(item.document is None for item in self._items)

    def scans(self) -> list[DocumentScan]:
        """What the draft carries: each page of each scan with a document, in list order."""
        return [
            DocumentScan(item.document, item.scan.kind, part)
            for item in self._items
            if item.document is not None
            for part in item.scan.parts
        ]

    def clear(self) -> None:
        self._items.clear()
        self.clear_error()
        self._refresh()

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def clear_error(self) -> None:
        self.error.hide()

    # --- adding ----------------------------------------------------------------------------

    def add_from_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, T["add"].text(self._lang), "", T["files"].text(self._lang)
        )
        for path in paths:
            self.add_file(Path(path), self._current_document())

    def add_file(self, path: Path, document: str | None) -> None:
        """Read and shrink ``path`` off the GUI thread; it appears once shrunk."""
        kind = self._kind_of(document)
        self._start(lambda: read_and_shrink(path, kind), path.name, document)

    def add_image(self, image: QImage, document: str | None, name: str = "paste.png") -> None:
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs want bytes; Qt takes str
        data = bytes(buffer.data().data())
        kind = self._kind_of(document)
        self._start(lambda: (data, shrink_bytes(data, kind)), name, document)

    def paste(self) -> None:
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self._say(T["no_image"].text(self._lang))
            return
        self.add_image(image, self._current_document())

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        for path in files:
            self.add_file(path, self._current_document())
        if not files and mime.hasImage():
            self.add_image(QImage(mime.imageData()), self._current_document())
        event.acceptProposedAction()

    def watch(self, folder: Path | None) -> None:
        """Watch ``folder`` for new scans (files already there are not taken)."""
        if self._watcher is not None:
            self._watcher.deleteLater()
            self._watcher = None
        self._folder = folder
        if folder is None or not folder.is_dir():
            self._refresh()
            return
        self._seen = {p.name for p in folder.iterdir()}
        self._watcher = QFileSystemWatcher([str(folder)], self)
        self._watcher.directoryChanged.connect(self._folder_changed)
        self._refresh()

    def _folder_changed(self, _path: str) -> None:
        folder = self._folder
        if folder is None:
            return
        for path in sorted(folder.iterdir()):
            if path.name in self._seen or path.suffix.lower() not in SCAN_SUFFIXES:
                continue
            self._settle(path)

    def _settle(self, path: Path) -> None:
        try:
            size = path.stat().st_size
        except OSError:
            return  # gone already (a scanner's temp file renamed)
        if size > 0 and self._settling.get(path.name) == size:
            del self._settling[path.name]
            self._seen.add(path.name)
            self.add_file(path, None)  # the clerk says which document it is
            return
        first = path.name not in self._settling
        self._settling[path.name] = size
        if first or size > 0:
            QTimer.singleShot(FOLDER_SETTLE_MS, lambda: self._settle(path))

    def _start(
        self,
        job: Callable[[], tuple[bytes, ShrunkScan]],
        name: str,
        document: str | None,
        ticket: int | None = None,  # a rotated or re-shrunk scan goes back to its place
        turns: int = 0,
    ) -> None:
        if ticket is None:  # in the order added, however long each one takes to shrink
            self._tickets += 1
            ticket = self._tickets
        self._pending += 1
        self._refresh()

        def done(result: object) -> None:
            self._pending -= 1
            assert isinstance(result, tuple)
            source, scan, thumb = result
            place = sum(item.ticket < ticket for item in self._items)
            self._items.insert(
                place, PendingScan(name, source, document, scan, turns, ticket, thumb)
            )
            self.clear_error()
            if not thumb.shown:  # kept (it was read whole), with a plain sheet and why
                self._say_of(name, T["no_page"])
            self._refresh(select=place)
            self.changed.emit()

        def failed(exc: BaseException) -> None:
            self._pending -= 1
            self._refresh()
            if not isinstance(exc, UserFacingError):
                raise exc
            self._say_of(name, exc.message)

        # The thumbnail is drawn on the job's thread too: the GUI thread decodes nothing.
        self._run_aside(lambda: prepared(job()), done, failed)

    # --- editing ---------------------------------------------------------------------------

    def _document_chosen(self, index: int) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._items):
            return
        document = self.document.itemData(index)
        item = self._items[row]
        kind = self._kind_of(document)
        if kind is not item.scan.kind and document is not None:  # a photo is kept in colour
            source = item.source
            self._items.pop(row)
            turns = item.turns
            self._start(
                lambda: (source, shrink_turned(source, kind, turns)),
                item.name,
                document,
                item.ticket,
                turns,
            )
            return
        self._items[row] = replace(item, document=document)
        self._refresh(select=row)
        self.changed.emit()

    def rotate(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._items):
            return
        item = self._items.pop(row)
        if item.source.startswith(b"%PDF-"):  # pages rendered by pdfium: not turned here
            self._items.insert(row, item)
            self._say(T["pdf_rotate"].text(self._lang))
            return
        self._refresh()
        turns = (item.turns + 1) % 4
        kind = item.scan.kind
        self._start(
            lambda: (item.source, shrink_turned(item.source, kind, turns)),
            item.name,
            item.document,
            item.ticket,
            turns,
        )

    def move_selected(self, step: int) -> None:
        row = self.list.currentRow()
        target = row + step
        if not (0 <= row < len(self._items) and 0 <= target < len(self._items)):
            return
        here, there = self._items[row], self._items[target]
        self._items[row] = replace(there, ticket=here.ticket)
        self._items[target] = replace(here, ticket=there.ticket)
        self._refresh(select=target)
        self.changed.emit()

    def remove(self) -> None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._items):
            return
        self._items.pop(row)
        self._refresh(select=min(row, len(self._items) - 1))
        self.changed.emit()

    def preview(self) -> QDialog | None:
        """The selected scan's pages at reading size, one at a time, drawn off the GUI
        thread (``ui.scan_preview``; non-modal; the arrows page, Esc closes it)."""
        row = self.list.currentRow()
        if not 0 <= row < len(self._items):
            return None
        item = self._items[row]
        dialog = ScanPreview(item.name, item.scan, self._lang, self._run_aside, self)
        dialog.show()
        return dialog

    # --- showing ---------------------------------------------------------------------------

    def _current_document(self) -> str | None:
        row = self.list.currentRow()
        if 0 <= row < len(self._items):
            return self._items[row].document
        data = self.document.currentData()
        if isinstance(data, str):
            return data
        have = {i.document for i in self._items}
        for key, _label, need in self.needs():  # the first required one not scanned yet
            if need is ScanNeed.REQUIRED and key not in have:
                return key
        return None

    def _kind_of(self, document: str | None) -> ScanKind:
        if self._service is not None and document is not None:
            for d in self._service.documents:
                if d.key == document:
                    return ScanKind(d.scan_kind)
        return ScanKind.DOCUMENT

    def _label_of(self, document: str | None) -> str:
        for key, label, _need in self.needs():
            if key == document:
                return label.text(self._lang)
        return T["unassigned"].text(self._lang)

    def _selected(self, row: int) -> None:
        document = self._items[row].document if 0 <= row < len(self._items) else None
        index = self.document.findData(document) if document is not None else 0
        self.document.setCurrentIndex(max(0, index))
        self._enable()

    def _refresh(self, select: int | None = None) -> None:
        lang = self._lang
        self.document.blockSignals(True)
        self.document.clear()
        self.document.addItem(T["choose"].text(lang), None)
        for key, label, need in self.needs():
            self.document.addItem(
                label.text(lang) + (" *" if need is ScanNeed.REQUIRED else ""), key
            )
        self.document.blockSignals(False)
        self.list.blockSignals(True)
        self.list.clear()
        for item in self._items:
            pages = pages_text(item.scan.pages, lang)
            # The count on the sheet too where the sheet alone does not tell it.
            on_sheet = item.scan.parts[0].media_type == PDF or item.scan.pages > 1
            entry = QListWidgetItem(
                thumbnail_icon(item.thumb, pages if on_sheet else None),
                f"{self._label_of(item.document)}\n{pages}",
            )
            shown = item.thumb is not None and item.thumb.shown
            name = isolate(ltr(item.name), lang)  # each line of a tip takes its own direction
            entry.setToolTip(name if shown else f"{name}\n{isolate(T['no_page'].text(lang), lang)}")
            self.list.addItem(entry)
        self.list.blockSignals(False)
        if select is not None and 0 <= select < len(self._items):
            self.list.setCurrentRow(select)
        self._selected(self.list.currentRow())
        notes = []
        if self._pending:
            notes.append(T["busy"].text(lang))
        if self._folder is not None and self._watcher is not None:
            folder = ltr(str(self._folder))  # a path reads left to right in Persian too
            notes.append(T["watching"].format(folder=Message(folder, folder)).text(lang))
        self.status.setText("\n".join(notes))
        self.status.setVisible(bool(notes))

    def _enable(self) -> None:
        has = 0 <= self.list.currentRow() < len(self._items)
        for key in ("preview", "rotate", "earlier", "later", "remove"):
            self.buttons[key].setEnabled(has)
        self.document.setEnabled(has)

    def _say(self, text: str) -> None:
        self.show_error(text)

    def _say_of(self, name: str, message: Message) -> None:
        """A message about one file: its name isolated left to right ("torn.pdf" first in a
        Persian sentence made the whole line run left to right), led by the language's mark."""
        self._say(isolate(f"{ltr(name)}: {message.text(self._lang)}", self._lang))
