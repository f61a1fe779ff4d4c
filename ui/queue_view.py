"""The request list: search box, filters, the table and the count.

A clerk finds a request by what the citizen brings to the counter (national
code, reference on the receipt, mobile, tracking code or a name's
beginning, in either digit set) or narrows the list by state, service and
period. Typing is debounced; every query runs on the worker thread
(``QueueModel``), so a million requests never freeze the window. Enter or a
double-click on a row asks for the request's detail (``requestActivated``).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCalendar, QDate, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog_store import NoCatalog
from desktop.clock import TEHRAN, Clock, local_day_bounds, utc_now
from desktop.queue import QueueFilter
from desktop.states import STATE_NAMES, State
from ui import theme
from ui.context import AppContext
from ui.errors import message_for
from ui.form_fields import JalaliCalendar
from ui.queue_model import ACTION_STATES, REQUEST_ID_ROLE, Column, QueueModel

SEARCH_DEBOUNCE_MS = 250
JALALI = QCalendar(QCalendar.System.Jalali)

# Period choices: (key, days back from today inclusive; None = no bound, -1 = custom).
_PERIODS: tuple[tuple[str, int | None], ...] = (
    ("all", None),
    ("today", 0),
    ("week", 6),
    ("month", 29),
    ("custom", -1),
)


class QueueView(QWidget):
    """Search, filter and open the requests saved on this PC."""

    requestActivated = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        parent: QWidget | None = None,
        *,
        model: QueueModel | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("queueView")
        self._ctx = ctx
        self._lang = ctx.lang
        self._clock = clock
        self._catalog_version: int | None = None
        self._restore_local_id: int | None = None
        self._focus_table_on_load = False
        self.setLayoutDirection(theme.layout_direction(self._lang))

        self.model = model if model is not None else QueueModel(ctx, self)
        self.destroyed.connect(self.model.closer())
        ctx.worker.follow(self, lambda changes: changes.requests, self.refresh)  # desktop.changes

        self.search = QLineEdit(self)
        self.search.setObjectName("queueSearch")
        self.search.setClearButtonEnabled(True)
        self.search.setPlaceholderText(
            self.tr("Search: national code, reference, mobile, tracking code or name  (Ctrl+F)")
        )
        self.search.setMinimumWidth(360)
        self.search.installEventFilter(self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._search_now)

        self.count_label = QLabel(self)
        self.count_label.setObjectName("queueCount")
        theme.set_role(self.count_label, "heading")

        self.state_combo = QComboBox(self)
        self.state_combo.setObjectName("stateFilter")
        self.state_combo.addItem(self.tr("All states"), frozenset())
        self.state_combo.addItem(
            self.tr("Waiting to be sent"), frozenset({State.QUEUED, State.SENDING})
        )
        self.state_combo.addItem(self.tr("Needs my action"), ACTION_STATES)
        for state in (
            State.NEEDS_ATTENTION,
            State.NEEDS_CORRECTION,
            State.ACCEPTED,
            State.COMPLETED,
            State.REJECTED,
        ):
            self.state_combo.addItem(STATE_NAMES[state].text(self._lang), frozenset({state}))

        self.service_combo = QComboBox(self)
        self.service_combo.setObjectName("serviceFilter")
        self.service_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.service_combo.setMinimumContentsLength(22)
        self._fill_services()

        self.period_combo = QComboBox(self)
        self.period_combo.setObjectName("periodFilter")
        period_names = {
            "all": self.tr("Any time"),
            "today": self.tr("Today"),
            "week": self.tr("Last 7 days"),
            "month": self.tr("Last 30 days"),
            "custom": self.tr("Date range"),
        }
        for key, _days in _PERIODS:
            self.period_combo.addItem(period_names[key], key)
        self.date_from = self._date_edit("dateFrom")
        self.date_to = self._date_edit("dateTo")

        self.clear_button = QPushButton(self.tr("Clear filters"), self)
        self.clear_button.setObjectName("clearFilters")
        self.clear_button.clicked.connect(self.clear_filters)

        self.table = QTableView(self)
        self.table.setObjectName("queueTable")
        self._setup_table()

        self._build_layout()
        self._set_period_dates()

        self.state_combo.currentIndexChanged.connect(self.apply_filter)
        self.service_combo.currentIndexChanged.connect(self.apply_filter)
        self.period_combo.currentIndexChanged.connect(self._period_changed)
        self.date_from.dateChanged.connect(self.apply_filter)
        self.date_to.dateChanged.connect(self.apply_filter)
        self.model.loaded.connect(self._loaded)
        self.model.busyChanged.connect(self._busy_changed)
        self.model.loadFailed.connect(self._load_failed)
        self.model.modelAboutToBeReset.connect(self._remember_current)
        self.model.modelReset.connect(self._restore_current)

        # Ctrl+F focuses the search box; inside the main window, its own Ctrl+F action
        # does that (two shortcuts on one key would cancel each other out).
        self._find_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        self._find_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._find_shortcut.activated.connect(self.focus_search)

        self.count_label.setText(self.tr("Loading…"))
        self.apply_filter()

    # --- Building ---------------------------------------------------------------------------

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setObjectName(name)
        # In RTL a date edit shows its sections reversed (dd/MM/yyyy): dates read left to
        # right. The order is fixed when the format is set, so the direction comes first.
        edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        edit.setLocale(theme.locale_for(self._lang))
        edit.setCalendar(JALALI)
        edit.setDisplayFormat("yyyy/MM/dd")
        edit.setCalendarPopup(True)
        popup = JalaliCalendar(self._lang, edit)
        edit.setCalendarWidget(popup)
        edit.setEnabled(False)
        theme.tab_leaves(edit)
        return edit

    def _setup_table(self) -> None:
        table = self.table
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(False)
        table.setTabKeyNavigation(False)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        table.verticalHeader().hide()
        # A fixed row height from the font (Vazirmatn is tall): no clipping, and the view
        # never measures a million rows.
        theme.configure_table(table)
        header = table.horizontalHeader()
        header.setSectionsClickable(False)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        # The service title is the longest text: it takes whatever width is left.
        header.setSectionResizeMode(Column.SERVICE, QHeaderView.ResizeMode.Stretch)
        header.setMinimumHeight(theme.row_height(table.font(), padding=12))
        self._size_columns()
        table.activated.connect(self._activated)

    def _size_columns(self) -> None:
        """Widths from the font and typical contents (measuring rows would read them all)."""
        fa = self._lang == "fa"
        body = QFontMetrics(self.table.font())
        bold_font = QFont(self.table.font())
        bold_font.setBold(True)
        bold = QFontMetrics(bold_font)
        samples = {
            Column.REFERENCE: theme.digits("1001-12-000000", self._lang),
            Column.CREATED: theme.digits("1405/09/06 14:35", self._lang),
            Column.SERVICE: "تکمیل ثبت‌نام کارت هوشمند ملی" if fa else "Smart national card",
            Column.APPLICANT: "غلامرضا پورمحمدی",  # names are Persian in either language
            Column.NATIONAL_CODE: theme.digits("0012345678", self._lang),
            Column.MOBILE: theme.digits("09120000000", self._lang),
            Column.FEE: theme.format_money(12_345_678, self._lang),
            Column.STATE: STATE_NAMES[State.NEEDS_CORRECTION].text(self._lang),
            Column.TRACKING: "PK-1001-0000000000",
        }
        header = self.table.horizontalHeader()
        for column, sample in samples.items():
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            width = max(body.horizontalAdvance(sample), bold.horizontalAdvance(title)) + 28
            if column is Column.STATE:
                width += 22  # the state's dot
            header.resizeSection(column, width)

    def _build_layout(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(self.search, 1)
        top.addSpacing(12)
        top.addWidget(self.count_label)

        filters = QHBoxLayout()
        filters.setSpacing(6)
        for text, widget in (
            (self.tr("State"), self.state_combo),
            (self.tr("Service"), self.service_combo),
            (self.tr("Period"), self.period_combo),
        ):
            label = QLabel(text, self)
            label.setBuddy(widget)
            filters.addWidget(label)
            filters.addWidget(widget)
            filters.addSpacing(8)
        filters.addWidget(QLabel(self.tr("From"), self))
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel(self.tr("to"), self))
        filters.addWidget(self.date_to)
        filters.addStretch(1)
        filters.addWidget(self.clear_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)

    def _fill_services(self) -> None:
        """All services of the current catalogue, by title; the choice survives a refill."""
        try:
            catalog = self._ctx.catalogs.current()
        except NoCatalog:
            catalog = None
        version = catalog.version if catalog is not None else None
        if version == self._catalog_version and self.service_combo.count():
            return
        self._catalog_version = version
        chosen = self.service_combo.currentData()
        self.service_combo.blockSignals(True)
        self.service_combo.clear()
        self.service_combo.addItem(self.tr("All services"), None)
        if catalog is not None:
            services = sorted(catalog.services, key=lambda s: s.title.text(self._lang))
            for service in services:
                self.service_combo.addItem(service.title.text(self._lang), service.code)
        index = self.service_combo.findData(chosen) if chosen else 0
        self.service_combo.setCurrentIndex(max(index, 0))
        self.service_combo.blockSignals(False)

    # --- Filters ----------------------------------------------------------------------------

    def current_filter(self) -> QueueFilter:
        states = self.state_combo.currentData()
        created_from, created_to = self._date_bounds()
        return QueueFilter(
            states=states if isinstance(states, frozenset) else frozenset(),
            service_code=self.service_combo.currentData() or None,
            created_from=created_from,
            created_to=created_to,
            text=self.search.text().strip(),
        )

    def apply_filter(self) -> None:
        """Run the query for what the filters say now (no query if nothing changed)."""
        self._debounce.stop()
        flt = self.current_filter()
        if flt == self.model.filter and (self.model.loaded_once or self.model.busy):
            if not self.model.busy:  # else the running query's result does it
                self._focus_after_search()
            return
        self.model.set_filter(flt)

    def clear_filters(self) -> None:
        self._set_filters(states=frozenset(), text="")
        self.search.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_attention(self) -> None:
        """Only the requests that need the clerk (the banner's "needs attention" link)."""
        # Both kinds the banner counts: refused by the server, sent back for correction.
        self._set_filters(states=ACTION_STATES, text="")
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        self._focus_table_on_load = True

    def _set_filters(self, *, states: frozenset[str], text: str) -> None:
        widgets = (
            self.state_combo,
            self.service_combo,
            self.period_combo,
            self.search,
            self.date_from,
            self.date_to,
        )
        for widget in widgets:
            widget.blockSignals(True)
        index = next(
            (i for i in range(self.state_combo.count()) if self.state_combo.itemData(i) == states),
            0,
        )
        self.state_combo.setCurrentIndex(index)
        self.service_combo.setCurrentIndex(0)
        self.period_combo.setCurrentIndex(0)
        self._set_period_dates()
        self.search.setText(text)
        for widget in widgets:
            widget.blockSignals(False)
        self.apply_filter()

    def _today(self) -> dt.date:
        return self._clock().astimezone(TEHRAN).date()

    def _period(self) -> tuple[str, int | None]:
        key = self.period_combo.currentData()
        return next(p for p in _PERIODS if p[0] == key)

    def _date_bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """UTC [from, to) of the chosen Tehran days; (None, None) for "any time"."""
        key, days = self._period()
        if days is None:
            return None, None
        if key == "custom":
            a = dt.date(*self.date_from.date().getDate())  # (year, month, day): typed for mypy
            b = dt.date(*self.date_to.date().getDate())
            first, last = min(a, b), max(a, b)
        else:
            last = self._today()
            first = last - dt.timedelta(days=days)
        return local_day_bounds(first)[0], local_day_bounds(last)[1]

    def _period_changed(self) -> None:
        self._set_period_dates()
        self.apply_filter()

    def _set_period_dates(self) -> None:
        """The date edits show the chosen period, and are editable only for a custom range."""
        key, days = self._period()
        custom = key == "custom"
        self.date_from.setEnabled(custom)
        self.date_to.setEnabled(custom)
        if custom:
            return
        today = self._today()
        first = today - dt.timedelta(days=days if days is not None else 29)
        for edit, day in ((self.date_from, first), (self.date_to, today)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def set_date_range(self, first: dt.date, last: dt.date) -> None:
        """Show the requests registered from ``first`` to ``last`` (Tehran days, inclusive)."""
        for widget in (self.period_combo, self.date_from, self.date_to):
            widget.blockSignals(True)
        self.period_combo.setCurrentIndex(self.period_combo.findData("custom"))
        self._set_period_dates()
        self.date_from.setDate(QDate(first.year, first.month, first.day))
        self.date_to.setDate(QDate(last.year, last.month, last.day))
        for widget in (self.period_combo, self.date_from, self.date_to):
            widget.blockSignals(False)
        self.apply_filter()

    # --- Search box -------------------------------------------------------------------------

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _search_now(self) -> None:
        self._focus_table_on_load = True
        self.apply_filter()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            key = event.key() if isinstance(event, QKeyEvent) else None
            if key == Qt.Key.Key_Down:
                self._focus_table()
                return True
            if key == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)

    def _focus_table(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount() > 0:
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _focus_after_search(self) -> None:
        if self._focus_table_on_load:
            self._focus_table_on_load = False
            self._focus_table()

    # --- Results ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the list with the same filters (after a save, a sync, a status change)."""
        self._fill_services()
        self.model.refresh()

    def _loaded(self, count: int) -> None:
        if count == 0:
            self.count_label.setText(self.tr("No requests found"))
        else:
            self.count_label.setText(
                self.tr("%1 requests").replace("%1", theme.format_number(count, self._lang))
            )
        self.count_label.setToolTip("")
        self._focus_after_search()

    def _busy_changed(self, busy: bool) -> None:
        if busy and not self.model.loaded_once:
            self.count_label.setText(self.tr("Loading…"))
        self.table.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)

    def _load_failed(self, exc: BaseException) -> None:
        # The reason on the line itself, not in a tooltip only a mouse finds (issue 14).
        reason = message_for(exc, self._lang)
        text = self.tr("The search failed; try again.")
        self.count_label.setText(f"{text} {reason}" if reason else text)
        self.count_label.setToolTip(reason or str(exc))

    def _remember_current(self) -> None:
        self._restore_local_id = self.model.local_id(self.table.currentIndex().row())

    def _restore_current(self) -> None:
        local_id, self._restore_local_id = self._restore_local_id, None
        row = self.model.row_of(local_id) if local_id is not None else None
        if row is not None:
            self.table.setCurrentIndex(self.model.index(row, 0))
            self.table.scrollTo(self.model.index(row, 0))

    def _activated(self, index: object) -> None:
        request_id = self.model.data(index, REQUEST_ID_ROLE)  # type: ignore[arg-type]
        if request_id:
            self.requestActivated.emit(str(request_id))

    def current_request_id(self) -> str | None:
        index = self.table.currentIndex()
        return self.model.request_id(index.row()) if index.isValid() else None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._find_shortcut.setEnabled(not _window_has_find(self))


def _window_has_find(widget: QWidget) -> bool:
    """Whether the window around ``widget`` already binds Ctrl+F to an action of its own."""
    window = widget.window()
    if window is widget:
        return False
    find = QKeySequence(QKeySequence.StandardKey.Find)
    return any(find in action.shortcuts() for action in window.findChildren(QAction))
