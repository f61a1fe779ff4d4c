"""The update notice: a strip above the work area, never a dialog that interrupts.

"A new version is ready; restart now or at close" with two buttons, and for a manager a
third that postpones it (the notice comes back at the next start). When the centre's
minimum version has passed its date the strip says plainly that the program must be
updated and offers no postponing; before the date it only reminds. Texts come from
``updates.policy``.

``UpdatePresenter`` (GUI thread) feeds the strip: it polls the updater's status with a
timer (the updater runs on a thread of its own, ``desktop.updater``; reading its status is
an attribute read) and reads the centre's minimum from the sync's heartbeat events.
"Restart now" closes the window (which asks about an unsaved form) and starts the
installed executable again, whose launcher switches; "at close" leaves it to the next
start, which the launcher does anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QProcess, QTimer, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop import __version__
from desktop.clock import Clock, utc_now
from desktop.updater import restart_command
from rules.messages import Message
from sync.events import HeartbeatSent
from ui.context import AppContext
from updates.pointer import READY
from updates.policy import READY_TO_RESTART, minimum_notice

log = logging.getLogger("pishkhan.updates")

RESTART_NOW = Message(fa="اکنون دوباره باز شود", en="Restart now")
AT_CLOSE = Message(fa="هنگام بستن", en="At close")
POSTPONE = Message(fa="بعداً (مدیر)", en="Later (manager)")
UNDERSTOOD = Message(fa="باشد", en="OK")
POLL_MS = 1000


class UpdateNotice(QFrame):
    restart_now = Signal()
    at_close = Signal()
    postponed = Signal()

    def __init__(self, lang: str, *, is_manager: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("updateNotice")
        self._lang = lang
        self._is_manager = is_manager
        self.required = False
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
        self.restart_button.setVisible(True)
        self.close_button.setText(AT_CLOSE.text(self._lang))
        self.close_button.setVisible(True)
        self.postpone_button.setVisible(self._is_manager)
        self.show()

    def show_required(self, message: Message, *, ready: bool = True) -> None:
        """The centre's minimum has passed its date: no postponing, no closing the strip.
        ``ready``: a new version is staged, so a restart installs it."""
        self.required = True
        self.label.setText(message.text(self._lang))
        self.restart_button.setVisible(ready)
        self.postpone_button.setVisible(False)
        self.close_button.setVisible(False)
        self.show()

    def show_reminder(self, message: Message) -> None:
        """Before the centre's date: said once, and the clerk may put it away."""
        self.label.setText(message.text(self._lang))
        self.restart_button.setVisible(False)
        self.postpone_button.setVisible(False)
        self.close_button.setText(UNDERSTOOD.text(self._lang))
        self.close_button.setVisible(True)
        self.show()

    def _chose_close(self) -> None:
        self.hide()
        self.at_close.emit()

    def _postpone(self) -> None:
        self.hide()
        self.postponed.emit()


StartDetached = Callable[[list[str]], bool]


def _start_detached(command: list[str]) -> bool:
    started, _pid = QProcess.startDetached(command[0], command[1:])
    return bool(started)


class UpdatePresenter(QObject):
    """Tells the strip what the updater and the centre say (lives with the main window)."""

    def __init__(
        self,
        ctx: AppContext,
        notice: UpdateNotice,
        close_window: Callable[[], bool],
        *,
        clock: Clock = utc_now,
        start_detached: StartDetached = _start_detached,
        poll_ms: int = POLL_MS,
    ) -> None:
        super().__init__(notice)
        self._ctx = ctx
        self._notice = notice
        self._close_window = close_window
        self._clock = clock
        self.start_detached = start_detached
        self._asked = False  # the ready notice was shown (or postponed) in this run
        self._reminded = False
        self._sync: object = None
        notice.restart_now.connect(self.restart)
        notice.at_close.connect(self._put_away)
        notice.postponed.connect(self._put_away)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.poll)
        self._timer.start(poll_ms)
        self.listen_to_sync()
        self.poll()

    @property
    def ready(self) -> bool:
        updates = self._ctx.updates
        return updates is not None and updates.status.state == READY

    def listen_to_sync(self) -> None:
        """Read the heartbeat's answers of ``ctx.sync`` (again after an enrolment)."""
        sync = self._ctx.sync
        if sync is None or sync is self._sync:
            return
        self._sync = sync
        sync.syncEvent.connect(self._on_sync_event)

    @Slot()
    def poll(self) -> None:
        if self.ready and not self._asked and not self._notice.required:
            self._asked = True
            self._notice.show_ready()
        elif self.ready and self._notice.required and not self._notice.restart_button.isVisible():
            self._notice.restart_button.setVisible(True)  # now a restart installs it

    @Slot(object)
    def _on_sync_event(self, event: object) -> None:
        if isinstance(event, HeartbeatSent):
            self.centre_minimum(event.minimum_version, event.minimum_version_after)

    def centre_minimum(self, minimum: str, after: str | None) -> None:
        try:
            said = minimum_notice(__version__, minimum, after, now=self._clock())
        except ValueError:  # a version or a date the server should not have sent
            log.warning("unreadable minimum version %r after %r", minimum, after)
            return
        if said is None:
            return
        required, message = said
        if self._ctx.updates is not None:
            self._ctx.updates.check_soon()
        if required:
            self._notice.show_required(message, ready=self.ready)
        elif not self._reminded and not self._notice.isVisible():
            self._reminded = True
            self._notice.show_reminder(message)

    @Slot()
    def _put_away(self) -> None:
        self._asked = True

    @Slot()
    def restart(self) -> None:
        updates = self._ctx.updates
        if updates is None or not self._close_window():
            return  # the clerk kept the window (an unsaved form): nothing restarts
        command = restart_command(updates.root)
        if not self.start_detached(command):
            log.error("could not start %s again", command[0])


def place_update_notice(
    ctx: AppContext, parent: QWidget, close_window: Callable[[], bool]
) -> tuple[UpdateNotice, UpdatePresenter]:
    """The strip for the main window and what feeds it."""
    is_manager = ctx.clerk is not None and ctx.clerk.is_manager
    notice = UpdateNotice(ctx.lang, is_manager=is_manager, parent=parent)
    return notice, UpdatePresenter(ctx, notice, close_window)
