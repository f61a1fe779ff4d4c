"""The update notice: a strip above the work area, never a dialog that interrupts.

"A new version is ready; restart now or at close" with two buttons, and for a manager a
third that postpones it for a day (``desktop.updater``: the staged version waits that long,
the strip too; never past the centre's date). When the centre's minimum version has passed
its date the strip says plainly that the program must be updated, offers no postponing and
no putting away, and once the new version is staged offers "restart now" as the default
button: it takes the keyboard focus (Enter restarts) unless the clerk is in the middle of
typing in a field.
Before the date it reminds once and says by when. Texts come from ``updates.policy``.

``UpdatePresenter`` (GUI thread) feeds the strip: each second it works out what the strip
should say from the updater's status (the updater runs on a thread of its own; reading it
is an attribute read), the centre's minimum (from the sync's heartbeat events, and saved by
the updater so it is known at start, offline) and the clock, so a date that passes while
the program runs, heartbeat or not, turns the reminder into the plain "must update".
"Restart now" closes the window (which asks about an unsaved form) and starts the
installed executable again, whose launcher switches; "at close" leaves it to the next
start, which the launcher does anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QProcess, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QWidget,
)

from desktop import __version__
from desktop.clock import Clock, utc_now
from desktop.updater import restart_command
from rules.messages import Message
from sync.events import HeartbeatSent
from ui.context import AppContext
from ui.theme import set_flag, set_role
from updates.pointer import READY
from updates.policy import READY_TO_RESTART, CentreMinimum, minimum_notice

log = logging.getLogger("pishkhan.updates")

RESTART_NOW = Message(fa="اکنون دوباره باز شود", en="Restart now")
AT_CLOSE = Message(fa="هنگام بستن", en="At close")
POSTPONE = Message(fa="یک روز بعد (مدیر)", en="In a day (manager)")
UNDERSTOOD = Message(fa="باشد", en="OK")
POLL_MS = 1000


def _typing_in(widget: QWidget | None) -> bool:
    """The clerk is in the middle of typing there: a field with text in it. (An empty one,
    such as the service search the window starts in, is not: the strip may take the
    focus from it.)"""
    if isinstance(widget, QComboBox):
        return widget.isEditable() and bool(widget.currentText())
    if isinstance(widget, QLineEdit):
        return bool(widget.text())
    if isinstance(widget, QTextEdit | QPlainTextEdit):
        return bool(widget.toPlainText())
    return isinstance(widget, QAbstractSpinBox)


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
        # The suggested answer; Enter presses it while it has the focus (outside a dialog
        # only an auto-default button takes Enter).
        self.restart_button.setDefault(True)
        self.restart_button.setAutoDefault(True)
        set_flag(self.restart_button, "primary", True, restyle=False)
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
        self.required = False
        set_role(self.label, "")
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
        set_role(self.label, "summary")  # the sheet's red box: an error summary's look
        self.label.setText(message.text(self._lang))
        self.restart_button.setVisible(ready)
        self.postpone_button.setVisible(False)
        self.close_button.setVisible(False)
        self.show()
        if ready and not _typing_in(self.window().focusWidget()):
            self.restart_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_reminder(self, message: Message) -> None:
        """Before the centre's date: said once, and the clerk may put it away."""
        self.required = False
        set_role(self.label, "note")
        self.label.setText(message.text(self._lang))
        self.restart_button.setVisible(False)
        self.postpone_button.setVisible(False)
        self.close_button.setText(UNDERSTOOD.text(self._lang))
        self.close_button.setVisible(True)
        self.show()

    def put_away(self) -> None:
        self.required = False
        self.hide()

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
        installed_version: str | None = None,
    ) -> None:
        super().__init__(notice)
        self._ctx = ctx
        self._notice = notice
        self._close_window = close_window
        self._clock = clock
        updates = ctx.updates
        self._installed = installed_version or (
            updates.installed_version if updates is not None else __version__
        )
        self.start_detached = start_detached
        self._asked = False  # the ready notice was answered "at close" in this run
        self._reminded: CentreMinimum | None = None  # the reminder put away, for this one
        self._minimum: CentreMinimum | None = updates.policy.minimum if updates else None
        self._view: tuple[object, ...] | None = None
        self._sync: object = None
        notice.restart_now.connect(self.restart)
        notice.at_close.connect(self._put_away)
        notice.postponed.connect(self._postpone)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.poll)
        self._timer.start(poll_ms)
        self.listen_to_sync()
        self.poll()

    @property
    def ready(self) -> bool:
        return self._staged() is not None

    def _staged(self) -> str | None:
        updates = self._ctx.updates
        if updates is None or updates.status.state != READY:
            return None
        return updates.status.version or ""

    def listen_to_sync(self) -> None:
        """Read the heartbeat's answers of ``ctx.sync`` (again after an enrolment)."""
        sync = self._ctx.sync
        if sync is None or sync is self._sync:
            return
        self._sync = sync
        sync.syncEvent.connect(self._on_sync_event)

    def _view_now(self) -> tuple[object, ...]:
        now = self._clock()
        staged = self._staged()
        said = None
        if self._minimum is None and self._ctx.updates is not None:
            self._minimum = self._ctx.updates.policy.minimum  # attached after an enrolment
        minimum = self._minimum
        if minimum is not None:
            try:
                said = minimum_notice(
                    self._installed, minimum.version, minimum.after, now=now, ready=staged or None
                )
            except ValueError:  # checked when it arrived; a saved file edited by hand
                said = None
        if said is not None and said[0]:
            return ("required", said[1], staged is not None)
        updates = self._ctx.updates
        if staged is not None and updates is not None:
            if not self._asked and not updates.postponed(now):
                return ("ready",)
            return ("hidden",)
        if said is not None and self._reminded != minimum:
            return ("reminder", said[1])
        return ("hidden",)

    @Slot()
    def poll(self) -> None:
        view = self._view_now()
        if view == self._view:
            return
        self._view = view
        if view[0] == "required":
            self._notice.show_required(view[1], ready=bool(view[2]))  # type: ignore[arg-type]
        elif view[0] == "ready":
            self._notice.show_ready()
        elif view[0] == "reminder":
            self._notice.show_reminder(view[1])  # type: ignore[arg-type]
        else:
            self._notice.put_away()

    @Slot(object)
    def _on_sync_event(self, event: object) -> None:
        if isinstance(event, HeartbeatSent):
            self.centre_minimum(event.minimum_version, event.minimum_version_after)

    def centre_minimum(self, minimum: str, after: str | None) -> None:
        """The heartbeat's answer: "" (none, or withdrawn) clears what the strip said."""
        said = CentreMinimum(minimum, after)
        try:
            minimum_notice(self._installed, minimum, after, now=self._clock())
            if self._ctx.updates is not None:
                self._ctx.updates.policy.centre_minimum(said, self._clock())
        except ValueError:  # a version or a date the server should not have sent
            log.warning("unreadable minimum version %r after %r", minimum, after)
            return
        self._minimum = said
        self.poll()

    @Slot()
    def _put_away(self) -> None:
        if self._view is not None and self._view[0] == "reminder":
            self._reminded = self._minimum
        else:
            self._asked = True
        self._view = None  # the strip hid itself: say again what it should show
        self.poll()

    @Slot()
    def _postpone(self) -> None:
        updates, clerk = self._ctx.updates, self._ctx.clerk
        if clerk is None or not clerk.is_manager:
            log.warning("postponing is for a manager; the strip offers it to managers only")
        elif updates is not None and not updates.postpone(self._clock()):
            log.info("postponing refused: nothing staged, or the centre's date has passed")
        self._view = None
        self.poll()

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
