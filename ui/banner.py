"""The strip at the top of the main window: what still waits to reach the central server.

Read from the database (the outbox), not from the sync engine's memory, so it
tells the truth after a restart or a crash: how many requests wait and how
old the oldest is, how many need the clerk's action (refused by the server, or sent
back "needs correction" by the back office: a button, and F8, jump to them), and,
when the sync adapter is there, when the server was last reached and when the next
try is. From the first failed round the banner says plainly that the central office
is not reached, since when, why, and what waits (issue 14, items 5 and 6): it does
not stay green for an hour with the reason in a tooltip.
The counts are read on the worker thread every few seconds and after every write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop.clock import Clock, utc_now
from desktop.queue import Backlog, QueueQueries
from desktop.states import State
from rules.messages import Message
from ui.context import AppContext
from ui.theme import (
    AMBER,
    AMBER_LIGHT,
    GREEN,
    GREEN_LIGHT,
    RED,
    RED_LIGHT,
    format_age,
    format_jalali_datetime,
    format_number,
    format_time,
)

REFRESH_MS = 5_000
#: The key that jumps to the requests that need the clerk's action.
ACTION_KEY = "F8"
# After this long unsent, waiting is worth the clerk's notice (amber).
STALE_AFTER = dt.timedelta(hours=1)


class Banner(QFrame):
    """Backlog and sync status; ``syncRequested`` when the clerk asks to send now,
    ``enrolRequested`` when the manager asks to connect the PC (again)."""

    syncRequested = Signal()
    attentionRequested = Signal()
    enrolRequested = Signal()

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        interval_ms: int = REFRESH_MS,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self._ctx = ctx
        self._lang = ctx.lang
        self._clock = clock
        # Its own read connection: the banner's poll never queues behind a view's query.
        self._queries = QueueQueries(ctx.store)
        self._pending = False
        self.backlog: Backlog | None = None
        self.needs_correction = 0
        self.sync_status: Any = None

        self.dot = QLabel("●", self)
        self.waiting = QLabel(self)
        self.waiting.setObjectName("bannerWaiting")
        self.attention = QPushButton(self)
        self.attention.setObjectName("bannerAttention")
        self.attention.setFlat(True)
        self.attention.setCursor(Qt.CursorShape.PointingHandCursor)
        self.attention.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.attention.clicked.connect(self.attentionRequested)
        self.attention.hide()
        # The keyboard's way to the same list (the button stays out of the form's Tab chain).
        self.action_shortcut = QShortcut(QKeySequence(ACTION_KEY), self)
        self.action_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.action_shortcut.activated.connect(self._jump_to_action)
        self.offline = QLabel(self)
        self.offline.setObjectName("bannerOffline")
        self.offline.setWordWrap(True)
        self.offline.hide()
        self.sync = QLabel(self)
        self.sync.setObjectName("bannerSync")
        self.send_now = QPushButton(self.tr("Send now (F5)"), self)
        self.send_now.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.send_now.clicked.connect(self.syncRequested)
        self.send_now.setVisible(ctx.sync is not None)
        # Only the manager can enrol; a clerk reads the banner's words and calls them.
        self._can_enrol = ctx.clerk is not None and ctx.clerk.is_manager
        self.enrol = QPushButton(self)
        self.enrol.setObjectName("bannerEnrol")
        self.enrol.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.enrol.setCursor(Qt.CursorShape.PointingHandCursor)
        self.enrol.clicked.connect(self.enrolRequested)
        self.enrol.hide()

        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(self.dot)
        row.addWidget(self.waiting)
        row.addWidget(self.attention)
        row.addStretch(1)
        row.addWidget(self.sync)
        row.addWidget(self.enrol)
        row.addWidget(self.send_now)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(2)
        layout.addLayout(row)
        # A line of its own, wrapped: the reason is read in full and never widens the
        # window past a 1024 px screen.
        layout.addWidget(self.offline)

        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.destroyed.connect(self._queries.close)
        ctx.worker.follow(self, lambda changes: changes.backlog, self.refresh)  # desktop.changes
        self._paint(None)
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()

    def refresh(self) -> None:
        """Read the backlog on the worker thread (one read at a time; never piles up)."""
        if self._pending:
            return
        self._pending = True
        queries = self._queries

        def read() -> tuple[Backlog, int]:
            counts = queries.counts_by_state()
            return queries.backlog(), counts.get(State.NEEDS_CORRECTION, 0)

        self._ctx.worker.submit(read, self._loaded, self._failed)

    def _loaded(self, result: tuple[Backlog, int]) -> None:
        self._pending = False
        self.backlog, self.needs_correction = result
        self._paint(self.backlog)

    def _jump_to_action(self) -> None:
        if self.attention.isVisible():
            self.attentionRequested.emit()

    def _failed(self, exc: BaseException) -> None:
        self._pending = False
        self.waiting.setText(self.tr("The queue could not be read: %1").replace("%1", str(exc)))

    def set_sync_status(self, status: object) -> None:
        """From ``SyncAdapter.statusChanged``: last contact and next try are shown."""
        self.sync_status = status
        self.send_now.show()
        self._paint_sync()
        self.refresh()

    def _paint(self, backlog: Backlog | None) -> None:
        lang = self._lang
        if backlog is None:
            self.waiting.setText(self.tr("Reading the queue…"))
            self._colour(GREEN, GREEN_LIGHT)
            return
        now = self._clock()
        if backlog.waiting == 0:
            self.waiting.setText(self.tr("Every request has reached the central office."))
            colour = (GREEN, GREEN_LIGHT)
        else:
            text = self.tr("%1 request(s) waiting to be sent").replace(
                "%1", format_number(backlog.waiting, lang)
            )
            if backlog.oldest_waiting_at is not None:
                age = now - backlog.oldest_waiting_at
                text += self.tr(" — the oldest for %1").replace("%1", format_age(age, lang))
                stale = age >= STALE_AFTER
            else:
                stale = False
            self.waiting.setText(text)
            colour = (AMBER, AMBER_LIGHT) if stale else (GREEN, GREEN_LIGHT)
        if self.offline_since_text():
            colour = (AMBER, AMBER_LIGHT)  # from the first failed round, not after an hour
        if backlog.attention or self.needs_correction:
            parts = []
            if self.needs_correction:
                parts.append(
                    self.tr("%1 need(s) correction").replace(
                        "%1", format_number(self.needs_correction, lang)
                    )
                )
            if backlog.attention:
                parts.append(
                    self.tr("%1 need(s) attention").replace(
                        "%1", format_number(backlog.attention, lang)
                    )
                )
            self.attention.setText(
                ("، " if lang == "fa" else ", ").join(parts) + f" ({ACTION_KEY})"
            )
            self.attention.setStyleSheet(
                f"QPushButton {{ color: {RED}; font-weight: bold; text-decoration: underline;"
                " border: none; }"
            )
            self.attention.show()
            colour = (RED, RED_LIGHT)
        else:
            self.attention.hide()
        self._colour(*colour)
        self._paint_sync()

    def offline_since_text(self) -> str:
        """ "The central office has not been reached since ...", once a round failed; else ""."""
        status = self.sync_status
        if status is None or getattr(status, "needs_reenrolment", False):
            return ""
        if not isinstance(getattr(status, "last_error", None), Message):
            return ""
        last = getattr(status, "last_contact", None)
        if isinstance(last, dt.datetime):
            return self.tr("The central office has not been reached since %1.").replace(
                "%1", format_jalali_datetime(last, self._lang)
            )
        return self.tr("The central office has not been reached yet.")

    def _paint_offline(self) -> None:
        status = self.sync_status
        since = self.offline_since_text()
        if not since:
            self.offline.hide()
            return
        error = status.last_error
        text = f"{since} {error.text(self._lang)}"
        backlog = self.backlog
        if backlog is not None and backlog.waiting:
            text += " " + self.tr("Saved requests are kept here and sent automatically.")
        self.offline.setText(text)
        self.offline.setStyleSheet(f"color: {AMBER}; font-weight: bold;")
        self.offline.show()

    def _paint_sync(self) -> None:
        status = self.sync_status
        lang = self._lang
        self.sync.setToolTip("")
        self.sync.setStyleSheet("")
        self.enrol.hide()
        self._paint_offline()
        if status is None:
            self.sync.setText(
                self.tr("Not connected to a central server yet") if self._ctx.sync is None else ""
            )
            if self._ctx.sync is None and self._can_enrol:
                self.enrol.setText(self.tr("Connect…"))
                self.enrol.show()
            return
        if getattr(status, "needs_reenrolment", False):
            self.sync.setText(
                self.tr(
                    "The central office no longer accepts this PC: "
                    "it must be enrolled again. Nothing saved is lost."
                )
            )
            self.sync.setStyleSheet(f"color: {RED}; font-weight: bold;")
            if self._can_enrol:
                self.enrol.setText(self.tr("Enrol again…"))
                self.enrol.show()
            return
        parts: list[str] = []
        if getattr(status, "running", False):
            parts.append(self.tr("Sending…"))
        last = getattr(status, "last_contact", None)
        offline = bool(self.offline_since_text())  # the line below says since when and why
        if offline:
            pass
        elif isinstance(last, dt.datetime):
            parts.append(
                self.tr("Last contact: %1").replace("%1", format_jalali_datetime(last, lang))
            )
        else:
            parts.append(self.tr("No contact with the server yet"))
        next_try = getattr(status, "next_try", None)
        if isinstance(next_try, dt.datetime) and not getattr(status, "running", False):
            parts.append(self.tr("next try %1").replace("%1", format_time(next_try, lang)))
        error = getattr(status, "last_error", None)
        if isinstance(error, Message):
            self.sync.setToolTip(error.text(lang))
            if not offline:
                parts.append(self.tr("last try failed"))
        self.sync.setText(" · ".join(parts))

    def _colour(self, ink: str, background: str) -> None:
        self.dot.setStyleSheet(f"color: {ink}; font-size: 14pt;")
        self.setStyleSheet(
            f"QFrame#banner {{ background: {background}; border: 1px solid {ink};"
            " border-radius: 6px; }"
        )
