"""The service list with type-to-filter, the first stop of every new request.

Typing narrows the list by every word of the query (Persian or English title,
code, category; ی/ي and both digit sets alike); Up/Down move through what is
left without leaving the search box and Enter takes the highlighted service,
so a clerk picks a service without touching the mouse.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rules.catalog import Service
from rules.normalize import normalize_letters, to_ascii_digits
from ui.theme import set_role

CODE_ROLE = Qt.ItemDataRole.UserRole


def search_key(text: str) -> str:
    """Text as compared when filtering: one spelling, ASCII digits, no ZWNJ, lower case."""
    flat = normalize_letters(to_ascii_digits(text)).replace("\u200c", " ").replace("\u0654", "")
    return flat.lower()


def matches(service: Service, query: str) -> bool:
    haystack = search_key(
        " ".join(
            (
                service.title.fa,
                service.title.en,
                service.code,
                service.code.replace("_", " "),
                service.category.fa,
                service.category.en,
            )
        )
    )
    return all(word in haystack for word in search_key(query).split())


class ServicePicker(QWidget):
    """Search box over the list of active services; emits the one the clerk takes."""

    serviceChosen = Signal(object)  # rules.catalog.Service

    def __init__(self, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = lang
        self._services: dict[str, Service] = {}
        self.search = QLineEdit(self)
        self.search.setObjectName("serviceSearch")
        self.search.setPlaceholderText(self.tr("Search services (title or code)…"))
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setObjectName("serviceList")
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.empty = QLabel(self.tr("No service matches the search."), self)
        set_role(self.empty, "help")
        self.empty.hide()
        title = QLabel(self.tr("Services"), self)
        set_role(title, "heading")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)

    def set_services(self, services: Sequence[Service]) -> None:
        self.list.clear()
        self._services = {s.code: s for s in services}
        for service in services:
            item = QListWidgetItem(service.title.text(self._lang))
            item.setData(CODE_ROLE, service.code)
            item.setToolTip(f"{service.category.text(self._lang)} — {service.code}")
            self.list.addItem(item)
        self._filter(self.search.text())

    def services(self) -> list[Service]:
        return list(self._services.values())

    def visible_codes(self) -> list[str]:
        return [
            str(self.list.item(i).data(CODE_ROLE))
            for i in range(self.list.count())
            if not self.list.item(i).isHidden()
        ]

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def choose(self, code: str) -> Service:
        """Take the service with this code (as if the clerk picked it)."""
        service = self._services[code]
        for i in range(self.list.count()):
            if self.list.item(i).data(CODE_ROLE) == code:
                self.list.setCurrentRow(i)
        self.serviceChosen.emit(service)
        return service

    def choose_current(self) -> bool:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            visible = self.visible_codes()
            if not visible:
                return False
            self.choose(visible[0])
            return True
        self.choose(str(item.data(CODE_ROLE)))
        return True

    def _filter(self, text: str) -> None:
        first_visible: int | None = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            service = self._services[str(item.data(CODE_ROLE))]
            hidden = not matches(service, text)
            item.setHidden(hidden)
            if not hidden and first_visible is None:
                first_visible = i
        current = self.list.currentItem()
        if (current is None or current.isHidden()) and first_visible is not None:
            self.list.setCurrentRow(first_visible)
        self.empty.setVisible(first_visible is None)

    def _move(self, step: int) -> None:
        rows = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
        if not rows:
            return
        current = self.list.currentRow()
        if current not in rows:
            self.list.setCurrentRow(rows[0])
            return
        position = max(0, min(len(rows) - 1, rows.index(current) + step))
        self.list.setCurrentRow(rows[position])

    def _activated(self, item: QListWidgetItem) -> None:
        self.choose(str(item.data(CODE_ROLE)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key == Qt.Key.Key_Down:
                self._move(1)
                return True
            if key == Qt.Key.Key_Up:
                self._move(-1)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.choose_current()
                return True
            if key == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)
