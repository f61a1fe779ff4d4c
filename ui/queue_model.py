"""The request queue as a Qt table model over local ids (Anki's browser approach).

The model holds only an ``array('q')`` of the matching requests' local ids,
newest first: 8 bytes a row, so a million requests cost 8 MB. Rows are read
from the store when a view asks for them, a page of ``PAGE_SIZE`` ids at a
time (one indexed ``IN (...)`` query), and kept in a bounded LRU cache; what
a row shows on screen is formatted once, when first painted.

The id query of a filter runs on the worker thread through the model's own
read connection, so the GUI thread never waits on a scan, and its row
lookups (``ctx.queries``) never wait behind one. A result that arrives after
a newer filter was asked for is dropped.
"""

from __future__ import annotations

import bisect
import logging
import operator
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap

from desktop.queue import QueueFilter, QueueQueries, QueueRow
from desktop.states import STATE_NAMES, State
from rules.bidi import ltr
from ui import theme
from ui.context import AppContext

log = logging.getLogger("pishkhan.ui")

PAGE_SIZE = 200
# Rows kept in memory at most (50 pages): bounded whatever the clerk scrolls through.
MAX_CACHED_ROWS = 10_000

# Custom data roles.
REQUEST_ID_ROLE = Qt.ItemDataRole.UserRole + 1  # the request's permanent id (str)
LOCAL_ID_ROLE = Qt.ItemDataRole.UserRole + 2  # its local id (int)
STATE_ROLE = Qt.ItemDataRole.UserRole + 3  # its state value (str)


class Column(IntEnum):
    REFERENCE = 0
    CREATED = 1
    SERVICE = 2
    APPLICANT = 3
    NATIONAL_CODE = 4
    MOBILE = 5
    FEE = 6
    STATE = 7
    TRACKING = 8


STATE_COLORS: dict[str, str] = {
    State.QUEUED: theme.AMBER,
    State.SENDING: theme.AMBER,
    State.ACCEPTED: theme.TEAL,
    State.COMPLETED: theme.GREEN,
    State.NEEDS_ATTENTION: theme.RED,
    State.NEEDS_CORRECTION: theme.RED,
    State.REJECTED: theme.MUTED,
}
# States that ask something of the clerk: shown bold, with the reason as tooltip.
ACTION_STATES = frozenset({State.NEEDS_ATTENTION, State.NEEDS_CORRECTION})
REASON_STATES = ACTION_STATES | {State.REJECTED}

_ROOT = QModelIndex()
_CENTER = Qt.AlignmentFlag.AlignCenter
_START = Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter
# Amounts line up on their units digit, on the right in both languages.
_NUMBER = (
    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignAbsolute | Qt.AlignmentFlag.AlignVCenter
)
_ALIGNMENT = {
    Column.REFERENCE: _CENTER,
    Column.CREATED: _CENTER,
    Column.SERVICE: _START,
    Column.APPLICANT: _START,
    Column.NATIONAL_CODE: _CENTER,
    Column.MOBILE: _CENTER,
    Column.FEE: _NUMBER,
    Column.STATE: _START,
    Column.TRACKING: _CENTER,
}


class RowSource(Protocol):
    def rows(self, local_ids: Sequence[int]) -> dict[int, QueueRow]: ...


class IdSource(Protocol):
    def ids(self, flt: QueueFilter = ...) -> array[int]: ...


class _Cached:
    """A row read from the store, and its cell texts once it has been painted."""

    __slots__ = ("row", "texts")

    def __init__(self, row: QueueRow) -> None:
        self.row = row
        self.texts: tuple[str, ...] | None = None


def state_icon(state: str, size: int = 12) -> QIcon:
    """A filled dot in the state's colour (cached: one pixmap per state)."""
    icon = _ICONS.get(state)
    if icon is None:
        pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x, sharp on high-DPI screens
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATE_COLORS.get(state, theme.MUTED)))
        painter.drawEllipse(QRectF(size * 0.5, size * 0.5, size, size))
        painter.end()
        pixmap.setDevicePixelRatio(2.0)
        icon = _ICONS[state] = QIcon(pixmap)
    return icon


_ICONS: dict[str, QIcon] = {}


class QueueModel(QAbstractTableModel):
    """Requests matching a filter, newest first; rows fetched from the store on demand."""

    # The id list was (re)loaded: the number of matching requests.
    loaded = Signal(int)
    # The id query failed (the exception); the previous list stays on screen.
    loadFailed = Signal(object)
    # A query started or ended (True while one is running).
    busyChanged = Signal(bool)

    def __init__(
        self,
        ctx: AppContext,
        parent: QObject | None = None,
        *,
        rows_source: RowSource | None = None,
        ids_source: IdSource | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._rows: RowSource = rows_source if rows_source is not None else ctx.queries
        self._own_ids: QueueQueries | None = None
        if ids_source is None:
            # Its own connection: a long scan on the worker never blocks the GUI's lookups.
            self._own_ids = QueueQueries(ctx.store)
            ids_source = self._own_ids
        self._id_source: IdSource = ids_source
        self._ids: array[int] = array("q")
        self._cache: OrderedDict[int, _Cached] = OrderedDict()
        self._filter = QueueFilter()
        self._generation = 0
        self._pending = 0
        self._loaded_once = False
        self._headers = (
            self.tr("Reference"),
            self.tr("Registered"),
            self.tr("Service"),
            self.tr("Applicant"),
            self.tr("National code"),
            self.tr("Mobile"),
            self.tr("Total fee"),
            self.tr("State"),
            self.tr("Tracking code"),
        )
        self._action_font = QFont()
        self._action_font.setBold(True)

    # --- Loading ----------------------------------------------------------------------------

    @property
    def filter(self) -> QueueFilter:
        return self._filter

    @property
    def busy(self) -> bool:
        return self._pending > 0

    @property
    def loaded_once(self) -> bool:
        return self._loaded_once

    def set_filter(self, flt: QueueFilter) -> None:
        """Show the requests matching ``flt``; the model resets when the ids arrive."""
        self._filter = flt
        self._load(reset=True)

    def refresh(self) -> None:
        """Same filter, fresh data: new requests appear on top, changed rows are re-read."""
        self._load(reset=False)

    def close(self) -> None:
        """Release the model's own read connection (after the queries already queued)."""
        own, self._own_ids = self._own_ids, None
        if own is not None:
            self._ctx.worker.submit(own.close)

    def closer(self) -> Callable[..., None]:
        """A function that releases the model's own connection; safe once the model is gone
        (connect a parent's ``destroyed`` to it)."""
        own, worker = self._own_ids, self._ctx.worker

        def close(*_args: object) -> None:
            if own is None:
                return
            if shiboken6.isValid(worker):
                worker.submit(own.close)  # after any query still running on it
            else:
                own.close()

        return close

    def _load(self, *, reset: bool) -> None:
        self._generation += 1
        generation, flt, source = self._generation, self._filter, self._id_source
        self._set_pending(+1)
        self._ctx.worker.submit(
            lambda: source.ids(flt),
            lambda ids: self._arrived(generation, ids, reset),
            lambda exc: self._failed(generation, exc),
        )

    def _set_pending(self, delta: int) -> None:
        was = self._pending > 0
        self._pending += delta
        if (self._pending > 0) != was:
            self.busyChanged.emit(self._pending > 0)

    def _arrived(self, generation: int, ids: array[int], reset: bool) -> None:
        if not shiboken6.isValid(self):
            return  # the view went away while the query ran
        self._set_pending(-1)
        if generation != self._generation:
            return  # a newer filter or refresh is on its way
        old = self._ids
        if reset or not self._loaded_once:
            self.beginResetModel()
            self._ids = ids
            self._cache.clear()
            self.endResetModel()
        elif ids == old:
            self._cache.clear()
            self._all_changed()
        elif len(ids) > len(old) and ids[len(ids) - len(old) :] == old:
            added = len(ids) - len(old)
            self.beginInsertRows(QModelIndex(), 0, added - 1)
            self._ids = ids
            self._cache.clear()
            self.endInsertRows()
            self._all_changed()
        else:
            # Requests left or joined the filter in the middle (a state changed): reset;
            # the view puts the clerk back on the same request by its local id.
            self.beginResetModel()
            self._ids = ids
            self._cache.clear()
            self.endResetModel()
        self._loaded_once = True
        self.loaded.emit(len(self._ids))

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_pending(-1)
        if generation == self._generation:
            log.warning("queue query failed: %s", exc)
            self.loadFailed.emit(exc)

    def _all_changed(self) -> None:
        if self._ids:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, len(Column) - 1))

    # --- Lookups for views ------------------------------------------------------------------

    def local_id(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, local_id: int) -> int | None:
        """The row showing ``local_id``, or None (binary search: ids are newest first)."""
        pos = bisect.bisect_left(self._ids, -local_id, key=operator.neg)
        if pos < len(self._ids) and self._ids[pos] == local_id:
            return pos
        return None

    def queue_row(self, row: int) -> QueueRow | None:
        cached = self._cached(row)
        return cached.row if cached is not None else None

    def request_id(self, row: int) -> str | None:
        cached = self._cached(row)
        return cached.row.id if cached is not None else None

    def _cached(self, row: int) -> _Cached | None:
        if not 0 <= row < len(self._ids):
            return None
        local_id = self._ids[row]
        cached = self._cache.get(local_id)
        if cached is not None:
            self._cache.move_to_end(local_id)
            return cached
        self._fetch_page(row // PAGE_SIZE)
        return self._cache.get(local_id)

    def _fetch_page(self, page: int) -> None:
        wanted = [
            i for i in self._ids[page * PAGE_SIZE : (page + 1) * PAGE_SIZE] if i not in self._cache
        ]
        try:
            found = self._rows.rows(wanted)
        except Exception:  # painting must go on; the next paint tries again
            log.exception("reading queue rows failed")
            return
        for local_id in wanted:
            row = found.get(local_id)
            if row is not None:
                self._cache[local_id] = _Cached(row)
        while len(self._cache) > MAX_CACHED_ROWS:
            self._cache.popitem(last=False)

    @property
    def cached_rows(self) -> int:
        return len(self._cache)

    # --- QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[section]
            if role == Qt.ItemDataRole.TextAlignmentRole:
                return int(_ALIGNMENT[Column(section)])
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.column() >= len(Column):
            return None
        column = Column(index.column())
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(_ALIGNMENT[column])
        if role == LOCAL_ID_ROLE:
            return self.local_id(index.row())
        cached = self._cached(index.row())
        if cached is None:
            return None
        row = cached.row
        if role == Qt.ItemDataRole.DisplayRole:
            if cached.texts is None:
                cached.texts = self._texts(row)
            return cached.texts[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._reason(row)
        if role == REQUEST_ID_ROLE:
            return row.id
        if role == STATE_ROLE:
            return row.state
        if column is Column.STATE:
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor(STATE_COLORS.get(row.state, theme.INK)))
            if role == Qt.ItemDataRole.DecorationRole:
                return state_icon(row.state)
            if role == Qt.ItemDataRole.FontRole and row.state in ACTION_STATES:
                return self._action_font
        return None

    # --- What a row shows -------------------------------------------------------------------

    def _texts(self, row: QueueRow) -> tuple[str, ...]:
        lang = self._lang
        fa = lang == "fa"
        try:
            state = STATE_NAMES[State(row.state)].text(lang)
        except ValueError:  # a state from a newer program: show it as stored
            state = row.state
        if row.documents is not None:  # scans have their own state: "documents 2 of 5 sent"
            state = f"{state} · {row.documents.message().text(lang)}"
        return (
            theme.identifier(row.reference, lang),
            theme.format_jalali_datetime(row.created_at, lang),
            row.service_title_fa if fa else row.service_title_en,
            f"{row.first_name} {row.last_name}",
            theme.identifier(row.national_code, lang),
            theme.identifier(row.mobile, lang),
            theme.format_money(row.total_fee, lang),
            state,
            # As issued and printed on the receipt: Latin letters, ASCII digits.
            ltr(row.tracking_code) if row.tracking_code else "—",
        )

    def _reason(self, row: QueueRow) -> str | None:
        if row.state not in REASON_STATES:
            return None
        reason = row.reason_fa if self._lang == "fa" else row.reason_en
        return reason or row.reason_fa or row.reason_en
