"""The update notice: a strip above the work area, never a dialog that interrupts.

"A new version is ready; restart now or at close" with two buttons, and for a manager a
third that postpones it (the notice comes back at the next start). When the centre's
minimum version has passed its date the strip says plainly that the program must be
updated and offers no postponing. Texts come from ``updates.policy``; the main window
connects the signals (``restart_now`` closes and starts again, ``at_close`` lets the
switch happen at the next start, which the launcher does anyway).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from rules.messages import Message
from updates.policy import READY_TO_RESTART

RESTART_NOW = Message(fa="اکنون دوباره باز شود", en="Restart now")
AT_CLOSE = Message(fa="هنگام بستن", en="At close")
POSTPONE = Message(fa="بعداً (مدیر)", en="Later (manager)")


class UpdateNotice(QFrame):
    restart_now = Signal()
    at_close = Signal()
    postponed = Signal()

    def __init__(self, lang: str, *, is_manager: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("updateNotice")
        self._lang = lang
        self.label = QLabel(READY_TO_RESTART.text(lang))
        self.label.setWordWrap(True)
        self.restart_button = QPushButton(RESTART_NOW.text(lang))
        self.close_button = QPushButton(AT_CLOSE.text(lang))
        self.postpone_button = QPushButton(POSTPONE.text(lang))
        self.postpone_button.setVisible(is_manager)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        for button in (self.restart_button, self.close_button, self.postpone_button):
            layout.addWidget(button)
        self.restart_button.clicked.connect(self.restart_now)
        self.close_button.clicked.connect(self._chose_close)
        self.postpone_button.clicked.connect(self._postpone)
        self.hide()

    def show_ready(self) -> None:
        self.label.setText(READY_TO_RESTART.text(self._lang))
        self.show()

    def show_required(self, message: Message) -> None:
        """The centre's minimum has passed its date: no postponing."""
        self.label.setText(message.text(self._lang))
        self.postpone_button.setVisible(False)
        self.close_button.setVisible(False)
        self.show()

    def _chose_close(self) -> None:
        self.hide()
        self.at_close.emit()

    def _postpone(self) -> None:
        self.hide()
        self.postponed.emit()
