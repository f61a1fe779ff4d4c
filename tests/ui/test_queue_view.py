"""The request list widget: filters and search through its own widgets, keys, activation.

Against a real SQLite file with 20,000 bulk requests (``tests/support/bulk.py``);
every expectation is the same query written directly in SQL. Text goes into the
search box with ``setText`` (``qtbot.keyClicks`` with Persian text aborts pytest).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QCalendar, QEvent, QPointF, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget
from pytestqt.qtbot import QtBot

from desktop.clock import local_day_bounds
from desktop.db.engine import Store
from desktop.db.types import utc_text
from desktop.queue import QueueFilter, QueueQueries
from desktop.states import State
from rules.normalize import to_persian_digits
from tests.support.bulk import UI_TEST_NOW, UI_TEST_REQUESTS, open_bulk_store
from tests.ui.conftest import CLERK_USER, MakeCtx, sample_for
from ui.context import AppContext
from ui.queue_model import QueueModel
from ui.queue_view import SEARCH_DEBOUNCE_MS, QueueView
from ui.theme import RED, format_number

NOW = UI_TEST_NOW


class CountingIds:
    def __init__(self, inner: QueueQueries) -> None:
        self.inner = inner
        self.filters: list[QueueFilter] = []

    def ids(self, flt: QueueFilter = QueueFilter()) -> array[int]:  # noqa: B008
        self.filters.append(flt)
        return self.inner.ids(flt)


@pytest.fixture
def ctx(make_ctx: MakeCtx, tmp_path: Path) -> Iterator[AppContext]:
    store = open_bulk_store(tmp_path / "bulk", now=NOW)
    yield make_ctx(store, clerk=CLERK_USER)
    store.close()


@pytest.fixture
def counting(ctx: AppContext) -> Iterator[CountingIds]:
    source = CountingIds(QueueQueries(ctx.store))
    yield source
    ctx.worker.wait_idle()
    source.inner.close()


@pytest.fixture
def view(qtbot: QtBot, ctx: AppContext, counting: CountingIds) -> QueueView:
    model = QueueModel(ctx, ids_source=counting)
    widget = QueueView(ctx, model=model, clock=lambda: NOW)
    model.setParent(widget)
    qtbot.addWidget(widget)
    widget.resize(1280, 720)
    with qtbot.waitSignal(model.loaded, timeout=20_000):
        widget.show()
    return widget


def sql_ids(store: Store, where: str, params: Sequence[object] = ()) -> list[int]:
    conn = sqlite3.connect(store.path)
    try:
        return [
            r[0]
            for r in conn.execute(
                f"SELECT local_id FROM requests WHERE {where} ORDER BY local_id DESC", params
            )
        ]
    finally:
        conn.close()


def shown(view: QueueView) -> list[int]:
    return [view.model.local_id(r) for r in range(view.model.rowCount())]  # type: ignore[misc]


def search(qtbot: QtBot, view: QueueView, text: str) -> None:
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.search.setText(text)


def row_of(store: Store, offset: int) -> tuple[str, str, str, str, str]:
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute(
            "SELECT reference, national_code, mobile, last_name, tracking_code FROM requests"
            " WHERE tracking_code IS NOT NULL ORDER BY local_id DESC LIMIT 1 OFFSET ?",
            (offset,),
        ).fetchone()
    finally:
        conn.close()


def double_click(widget: QWidget, pos: QPointF) -> None:
    """Press, release, double-click, release: what a real double-click delivers.

    (``qtbot.mouseDClick`` delivers only the first press to an item view with Qt 6.12.)
    """
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    for kind in (
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseButtonRelease,
    ):
        buttons = none if kind == QEvent.Type.MouseButtonRelease else left
        QApplication.sendEvent(
            widget,
            QMouseEvent(
                kind, pos, widget.mapToGlobal(pos), left, buttons, Qt.KeyboardModifier.NoModifier
            ),
        )


# --- Filters --------------------------------------------------------------------------------


def test_opens_on_every_request_newest_first_with_the_count_in_persian(
    view: QueueView, ctx: AppContext
) -> None:
    assert view.model.rowCount() == UI_TEST_REQUESTS
    assert shown(view)[:3] == [UI_TEST_REQUESTS, UI_TEST_REQUESTS - 1, UI_TEST_REQUESTS - 2]
    assert format_number(UI_TEST_REQUESTS, "fa") in view.count_label.text()  # «۲۰٬۰۰۰ …»
    assert view.layoutDirection() == Qt.LayoutDirection.RightToLeft


def test_state_and_service_combos_filter_the_list(
    qtbot: QtBot, view: QueueView, ctx: AppContext
) -> None:
    combo = view.state_combo
    index = next(
        i for i in range(combo.count()) if combo.itemData(i) == frozenset({State.NEEDS_CORRECTION})
    )
    with qtbot.waitSignal(view.model.loaded):
        combo.setCurrentIndex(index)
    assert shown(view) == sql_ids(ctx.store, "state = 'needs_correction'")
    assert format_number(len(shown(view)), "fa") in view.count_label.text()

    with qtbot.waitSignal(view.model.loaded):
        view.service_combo.setCurrentIndex(view.service_combo.findData("driving_licence"))
    assert shown(view) == sql_ids(
        ctx.store, "state = 'needs_correction' AND service_code = 'driving_licence'"
    )

    with qtbot.waitSignal(view.model.loaded):
        view.clear_filters()
    assert view.model.rowCount() == UI_TEST_REQUESTS


def test_jalali_date_range_and_periods_are_tehran_days(
    qtbot: QtBot, view: QueueView, ctx: AppContext
) -> None:
    edit = view.date_from
    assert edit.calendar().name() == QCalendar(QCalendar.System.Jalali).name()
    assert edit.layoutDirection() == Qt.LayoutDirection.LeftToRight
    popup = edit.calendarWidget()
    assert popup.firstDayOfWeek() == Qt.DayOfWeek.Saturday
    assert popup.weekdayTextFormat(Qt.DayOfWeek.Friday).foreground().color() == QColor(RED)
    assert popup.weekdayTextFormat(Qt.DayOfWeek.Sunday).foreground().color() != QColor(RED)

    with qtbot.waitSignal(view.model.loaded):
        view.set_date_range(dt.date(2026, 11, 1), dt.date(2026, 11, 3))  # 10-12 Aban 1405
    assert view.date_from.text() == "۱۴۰۵/۰۸/۱۰" and view.date_to.text() == "۱۴۰۵/۰۸/۱۲"
    start = local_day_bounds(dt.date(2026, 11, 1))[0]
    end = local_day_bounds(dt.date(2026, 11, 3))[1]
    expected = sql_ids(
        ctx.store, "created_at >= ? AND created_at < ?", (utc_text(start), utc_text(end))
    )
    assert shown(view) == expected and expected

    # Picking the first day later than the last still means the days between them.
    with qtbot.waitSignal(view.model.loaded):
        view.date_from.setDate(view.date_to.date().addDays(2))
    start = local_day_bounds(dt.date(2026, 11, 3))[0]
    end = local_day_bounds(dt.date(2026, 11, 5))[1]
    assert shown(view) == sql_ids(
        ctx.store, "created_at >= ? AND created_at < ?", (utc_text(start), utc_text(end))
    )

    with qtbot.waitSignal(view.model.loaded):
        view.period_combo.setCurrentIndex(view.period_combo.findData("today"))
    assert not view.date_from.isEnabled()
    start, end = local_day_bounds(dt.date(2026, 11, 25))
    assert shown(view) == sql_ids(
        ctx.store, "created_at >= ? AND created_at < ?", (utc_text(start), utc_text(end))
    )


# --- Search -------------------------------------------------------------------------------


def test_search_by_national_code_in_both_digit_sets_mobile_and_name_prefix(
    qtbot: QtBot, view: QueueView, ctx: AppContext
) -> None:
    _ref, national_code, mobile, last_name, _tracking = row_of(ctx.store, 321)
    expected = sql_ids(ctx.store, "national_code = ?", (national_code,))
    for typed in (national_code, to_persian_digits(national_code)):
        search(qtbot, view, typed)
        assert shown(view) == expected

    search(qtbot, view, to_persian_digits(mobile))
    assert shown(view) == sql_ids(ctx.store, "mobile = ?", (mobile,))

    search(qtbot, view, last_name[:2])
    assert shown(view) == sql_ids(
        ctx.store,
        "substr(last_name, 1, 2) = ? OR substr(first_name, 1, 2) = ?",
        (last_name[:2], last_name[:2]),
    )

    search(qtbot, view, "ژژژ")
    assert view.model.rowCount() == 0
    assert view.count_label.text() != "" and format_number(0, "fa") not in view.count_label.text()


def test_search_by_reference_and_tracking_code(
    qtbot: QtBot, view: QueueView, ctx: AppContext
) -> None:
    reference, _code, _mobile, _name, tracking = row_of(ctx.store, 55)
    expected = sql_ids(ctx.store, "reference = ?", (reference,))
    assert len(expected) == 1
    for typed in (reference, to_persian_digits(reference)):
        search(qtbot, view, typed)
        assert shown(view) == expected
    for typed in (tracking, tracking.lower()):
        search(qtbot, view, typed)
        assert shown(view) == sql_ids(ctx.store, "tracking_code = ?", (tracking,)) == expected


def test_typing_is_debounced_into_one_query(
    qtbot: QtBot, view: QueueView, ctx: AppContext, counting: CountingIds
) -> None:
    _ref, national_code, *_ = row_of(ctx.store, 9)
    before = len(counting.filters)
    typed = to_persian_digits(national_code)
    with qtbot.waitSignal(view.model.loaded, timeout=5_000):
        for end in range(1, len(typed) + 1):  # a clerk typing, faster than the debounce
            view.search.setText(typed[:end])
    qtbot.wait(SEARCH_DEBOUNCE_MS + 100)  # nothing else may follow
    assert [f.text for f in counting.filters[before:]] == [typed]
    assert shown(view) == sql_ids(ctx.store, "national_code = ?", (national_code,))


# --- Keys, activation, refresh -----------------------------------------------------------


def test_enter_and_double_click_ask_for_the_request(
    qtbot: QtBot, view: QueueView, ctx: AppContext
) -> None:
    table = view.table
    table.setFocus()
    table.setCurrentIndex(view.model.index(3, 0))
    expected = view.model.request_id(3)
    with qtbot.waitSignal(view.requestActivated) as blocker:
        qtbot.keyClick(table, Qt.Key.Key_Return)
    assert blocker.args == [expected]

    rect = table.visualRect(view.model.index(5, 2))
    with qtbot.waitSignal(view.requestActivated) as blocker:
        double_click(table.viewport(), QPointF(rect.center()))
    assert blocker.args == [view.model.request_id(5)]


def test_ctrl_f_and_keys_between_search_box_and_table(qtbot: QtBot, view: QueueView) -> None:
    view.activateWindow()
    view.table.setFocus()
    qtbot.waitUntil(lambda: view.table.hasFocus())
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: view.search.hasFocus())

    qtbot.keyClick(view.search, Qt.Key.Key_Down)
    assert view.table.hasFocus() and view.table.currentIndex().row() == 0

    view.search.setText("x")
    qtbot.keyClick(view.search, Qt.Key.Key_Escape)
    assert view.search.text() == ""


def test_inside_a_window_with_its_own_find_action_the_view_leaves_ctrl_f_to_it(
    qtbot: QtBot, ctx: AppContext
) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    found: list[bool] = []
    action = QAction("Search", window)
    action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
    action.triggered.connect(lambda: found.append(True))
    window.addAction(action)
    view = QueueView(ctx, window, clock=lambda: NOW)
    window.setCentralWidget(view)
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        window.show()
    window.activateWindow()
    view.table.setFocus()
    qtbot.waitUntil(lambda: view.table.hasFocus())
    qtbot.keyClick(view.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert found == [True]  # not ambiguous: the window's action ran


def test_show_attention_and_refresh_keep_the_clerk_on_the_same_request(
    qtbot: QtBot, view: QueueView, ctx: AppContext
) -> None:
    view.search.setText("something typed")
    with qtbot.waitSignal(view.model.loaded):
        view.show_attention()
    assert view.search.text() == ""
    assert shown(view) == sql_ids(ctx.store, "state IN ('needs_attention', 'needs_correction')")
    assert view.table.currentIndex().row() == 0

    with qtbot.waitSignal(view.model.loaded):
        view.clear_filters()
    view.table.setCurrentIndex(view.model.index(10, 0))
    chosen = view.current_request_id()
    assert ctx.clerk is not None
    ctx.intake.save(ctx.clerk, sample_for(ctx, "goods_voucher"))
    with qtbot.waitSignal(view.model.loaded):
        view.refresh()
    assert view.model.rowCount() == UI_TEST_REQUESTS + 1
    assert view.current_request_id() == chosen
    assert view.table.currentIndex().row() == 11

    # A change that moves rows inside a filter resets the model; the place is kept by id.
    with qtbot.waitSignal(view.model.loaded):
        view.state_combo.setCurrentIndex(1)  # waiting to be sent
    view.table.setCurrentIndex(view.model.index(2, 0))
    chosen = view.current_request_id()
    conn = sqlite3.connect(ctx.store.path)
    with conn:
        conn.execute(
            "UPDATE requests SET state = 'accepted' WHERE local_id = ?", (view.model.local_id(0),)
        )
    conn.close()
    with qtbot.waitSignal(view.model.loaded):
        view.refresh()
    assert view.current_request_id() == chosen
    assert view.table.currentIndex().row() == 1
    QApplication.processEvents()
