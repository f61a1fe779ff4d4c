"""The queue model: Qt's model contract, lazy pages, filters off the GUI thread, refresh.

Runs against real SQLite files: a small demo store (requests saved through the
real intake) and a 20,000-request store filled by ``tests/support/bulk.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QTableView
from pytestqt.qtbot import QtBot

from desktop.catalog_store import demo_catalog_path
from desktop.clock import local_day_bounds
from desktop.db.engine import Store
from desktop.db.models import Request
from desktop.queue import QueueFilter, QueueQueries, QueueRow
from desktop.states import State
from desktop.wire import compute_hash
from rules.bidi import ltr
from rules.catalog import load_catalog_file
from rules.normalize import to_persian_digits
from rules.validation import national_code_is_valid
from tests.support.bulk import (
    PLACEHOLDER_HASH,
    UI_TEST_NOW,
    UI_TEST_REQUESTS,
    fill_requests,
    open_bulk_store,
)
from tests.ui.conftest import CLERK_USER, MakeCtx, sample_for
from ui import queue_model
from ui.context import AppContext
from ui.queue_model import (
    MAX_CACHED_ROWS,
    PAGE_SIZE,
    REQUEST_ID_ROLE,
    STATE_ROLE,
    Column,
    QueueModel,
)
from ui.theme import format_jalali_datetime, format_money

NOW = UI_TEST_NOW  # a Wednesday afternoon in Tehran
BULK = UI_TEST_REQUESTS


class CountingQueries:
    """QueueQueries that counts what the model asks of the store."""

    def __init__(self, inner: QueueQueries) -> None:
        self.inner = inner
        self.row_calls: list[int] = []
        self.id_calls = 0

    def rows(self, local_ids: Sequence[int]) -> dict[int, QueueRow]:
        self.row_calls.append(len(local_ids))
        return self.inner.rows(local_ids)

    def ids(self, flt: QueueFilter = QueueFilter()) -> array[int]:  # noqa: B008
        self.id_calls += 1
        return self.inner.ids(flt)


@pytest.fixture
def bulk_ctx(make_ctx: MakeCtx, tmp_path: Path) -> Iterator[AppContext]:
    store = open_bulk_store(tmp_path / "bulk", BULK, now=NOW)
    yield make_ctx(store, clerk=CLERK_USER)
    store.close()


@pytest.fixture
def small_ctx(make_ctx: MakeCtx, tmp_path: Path) -> Iterator[AppContext]:
    store = open_bulk_store(tmp_path / "small", 300, now=NOW, seed=7)
    yield make_ctx(store, clerk=CLERK_USER)
    store.close()


@contextmanager
def model_for(ctx: AppContext, **sources: object) -> Iterator[QueueModel]:
    model = QueueModel(ctx, **sources)  # type: ignore[arg-type]
    try:
        yield model
    finally:
        model.close()
        ctx.worker.wait_idle()


@pytest.fixture
def small_model(small_ctx: AppContext) -> Iterator[QueueModel]:
    with model_for(small_ctx) as model:
        yield model


def load(qtbot: QtBot, model: QueueModel, flt: QueueFilter | None = None) -> int:
    with qtbot.waitSignal(model.loaded, timeout=20_000) as blocker:
        if flt is None:
            model.refresh()
        else:
            model.set_filter(flt)
    return int(blocker.args[0])


def sql_ids(store: Store, where: str = "1", params: Sequence[object] = ()) -> list[int]:
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


def model_ids(model: QueueModel) -> list[int]:
    return [model.local_id(r) for r in range(model.rowCount())]  # type: ignore[misc]


# --- Qt's model contract ------------------------------------------------------------------


def test_model_passes_qt_model_tester_before_and_after_a_filter_change(
    qtbot: QtBot, qtmodeltester: object, small_model: QueueModel
) -> None:
    assert load(qtbot, small_model, QueueFilter()) == 300
    qtmodeltester.check(small_model)  # type: ignore[attr-defined]
    accepted = load(qtbot, small_model, QueueFilter(states=frozenset({State.ACCEPTED})))
    assert 0 < accepted < 300
    qtmodeltester.check(small_model)  # type: ignore[attr-defined]
    assert load(qtbot, small_model, QueueFilter(text="no such name")) == 0
    qtmodeltester.check(small_model)  # type: ignore[attr-defined]


def test_new_requests_are_inserted_on_top_and_changed_rows_are_reread(
    qtbot: QtBot, qtmodeltester: object, small_ctx: AppContext, small_model: QueueModel
) -> None:
    load(qtbot, small_model, QueueFilter())
    qtmodeltester.check(small_model)  # type: ignore[attr-defined]
    oldest_row = small_model.rowCount() - 1
    oldest_id = small_model.request_id(oldest_row)
    assert small_ctx.clerk is not None
    saved = [
        small_ctx.intake.save(small_ctx.clerk, sample_for(small_ctx, "smart_card", seed=s))
        for s in (1, 2)
    ]
    # The back office answered the oldest request meanwhile (a lifecycle column: mutable).
    conn = sqlite3.connect(small_ctx.store.path)
    with conn:
        conn.execute(
            "UPDATE requests SET state = 'rejected', reason_fa = 'رد آزمایشی',"
            " reason_en = 'test rejection' WHERE id = ?",
            (oldest_id,),
        )
    conn.close()

    inserted: list[tuple[int, int]] = []
    small_model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    resets: list[bool] = []
    small_model.modelReset.connect(lambda: resets.append(True))
    assert load(qtbot, small_model) == 302

    assert inserted == [(0, 1)] and not resets  # no reset: the clerk's place is kept
    assert small_model.request_id(0) == saved[1].id
    assert small_model.request_id(1) == saved[0].id
    index = small_model.index(oldest_row + 2, Column.STATE)
    assert index.data() == "رد شد"
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "رد آزمایشی"


def test_a_row_leaving_the_filter_on_refresh_resets_and_a_stale_result_is_dropped(
    qtbot: QtBot, small_ctx: AppContext, small_model: QueueModel
) -> None:
    queued = QueueFilter(states=frozenset({State.QUEUED}))
    before = load(qtbot, small_model, queued)
    assert before > 0
    first_id = small_model.request_id(0)
    conn = sqlite3.connect(small_ctx.store.path)
    with conn:
        conn.execute("UPDATE requests SET state = 'accepted' WHERE id = ?", (first_id,))
    conn.close()
    assert load(qtbot, small_model) == before - 1
    assert small_model.request_id(0) != first_id

    # Two filters in quick succession: only the last one's result is shown.
    results: list[int] = []
    small_model.loaded.connect(results.append)
    small_model.set_filter(QueueFilter())
    assert load(qtbot, small_model, QueueFilter(service_code="bill_payment")) == len(
        sql_ids(small_ctx.store, "service_code = 'bill_payment'")
    )
    assert results == [small_model.rowCount()]


# --- What the rows show -------------------------------------------------------------------


def test_rows_show_persian_digits_jalali_tehran_time_money_and_state(
    qtbot: QtBot, small_ctx: AppContext, small_model: QueueModel
) -> None:
    load(qtbot, small_model, QueueFilter())
    newest = small_ctx.queries.rows([sql_ids(small_ctx.store)[0]])
    row = next(iter(newest.values()))

    def cell(column: Column, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return small_model.index(0, column).data(role)

    # Identifiers are isolated left to right (rules.bidi) so RTL text cannot reorder them.
    assert cell(Column.REFERENCE) == ltr(to_persian_digits(row.reference))
    assert cell(Column.NATIONAL_CODE) == ltr(to_persian_digits(row.national_code))
    assert cell(Column.MOBILE) == ltr(to_persian_digits(row.mobile))
    assert cell(Column.APPLICANT) == f"{row.first_name} {row.last_name}"
    assert cell(Column.SERVICE) == row.service_title_fa
    assert cell(Column.FEE) == format_money(row.total_fee, "fa")
    assert str(cell(Column.FEE)).endswith("ریال") and "٬" in str(cell(Column.FEE))
    assert cell(Column.CREATED) == format_jalali_datetime(row.created_at, "fa")
    assert str(cell(Column.CREATED)).startswith("۱۴۰۵/۰۹/")  # Azar 1405
    assert cell(Column.REFERENCE, REQUEST_ID_ROLE) == row.id
    assert cell(Column.FEE, STATE_ROLE) == row.state
    assert isinstance(cell(Column.STATE, Qt.ItemDataRole.ForegroundRole), QBrush)
    assert cell(Column.STATE, Qt.ItemDataRole.DecorationRole) is not None
    headers = [small_model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert all(isinstance(h, str) and h for h in headers)


def test_reason_is_the_tooltip_of_a_request_that_needs_attention(
    qtbot: QtBot, small_ctx: AppContext, small_model: QueueModel
) -> None:
    load(qtbot, small_model, QueueFilter(states=frozenset({State.NEEDS_ATTENTION})))
    assert small_model.rowCount() > 0
    row = small_model.queue_row(0)
    assert row is not None and row.reason_fa
    for column in Column:
        assert small_model.index(0, column).data(Qt.ItemDataRole.ToolTipRole) == row.reason_fa
    font = small_model.index(0, Column.STATE).data(Qt.ItemDataRole.FontRole)
    assert font is not None and font.bold()
    load(qtbot, small_model, QueueFilter(states=frozenset({State.COMPLETED})))
    assert small_model.index(0, Column.STATE).data(Qt.ItemDataRole.ToolTipRole) is None


def test_english_clerk_sees_english_titles_and_latin_digits(
    qtbot: QtBot, make_ctx: MakeCtx, small_ctx: AppContext
) -> None:
    ctx = make_ctx(small_ctx.store, clerk=CLERK_USER, lang="en")
    with model_for(ctx) as model:
        load(qtbot, model, QueueFilter())
        row = model.queue_row(0)
        assert row is not None
        assert model.index(0, Column.SERVICE).data() == row.service_title_en
        assert model.index(0, Column.REFERENCE).data() == ltr(row.reference)
        assert str(model.index(0, Column.FEE).data()).endswith("rials")


# --- A large queue: lazy pages, bounded memory ----------------------------------------------


def test_a_view_over_20000_requests_reads_only_the_pages_it_shows(
    qtbot: QtBot, bulk_ctx: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = CountingQueries(QueueQueries(bulk_ctx.store))
    with model_for(bulk_ctx, rows_source=counting, ids_source=counting) as model:
        assert load(qtbot, model, QueueFilter()) == BULK
        assert counting.id_calls == 1 and counting.row_calls == []  # nothing read yet

        view = QTableView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.resize(900, 600)
        view.show()
        qtbot.waitExposed(view)
        view.grab()
        assert 1 <= len(counting.row_calls) <= 2
        assert model.cached_rows <= 2 * PAGE_SIZE

        view.scrollToBottom()
        view.grab()
        assert 2 <= len(counting.row_calls) <= 4
        assert model.cached_rows <= 4 * PAGE_SIZE
        assert model.index(BULK - 1, Column.REFERENCE).data() == ltr(
            to_persian_digits(f"1001-1-{1:06d}")
        )

        # Scrolling through far more than the cache holds keeps memory bounded (a smaller
        # bound here, so the test reads 20 pages rather than 50).
        monkeypatch.setattr(queue_model, "MAX_CACHED_ROWS", 5 * PAGE_SIZE)
        calls = len(counting.row_calls)
        for row in range(0, BULK, BULK // 20):
            assert model.index(row, Column.APPLICANT).data()
            assert model.cached_rows <= 5 * PAGE_SIZE
        assert len(counting.row_calls) == calls + 20 - 1  # the first page was still cached
        assert MAX_CACHED_ROWS >= 10 * PAGE_SIZE
    counting.inner.close()


# --- Filters against the 20,000-request store ----------------------------------------------


def test_filters_by_state_service_and_tehran_date_range_match_the_store(
    qtbot: QtBot, bulk_ctx: AppContext
) -> None:
    store = bulk_ctx.store
    with model_for(bulk_ctx) as model:
        waiting = frozenset({State.QUEUED, State.SENDING})
        load(qtbot, model, QueueFilter(states=waiting))
        assert model_ids(model) == sql_ids(store, "state IN ('queued', 'sending')")

        load(qtbot, model, QueueFilter(service_code="smart_card"))
        assert model_ids(model) == sql_ids(store, "service_code = 'smart_card'")

        start, _ = local_day_bounds(dt.date(2026, 11, 10))
        _, end = local_day_bounds(dt.date(2026, 11, 12))
        count = load(
            qtbot,
            model,
            QueueFilter(created_from=start, created_to=end, states=frozenset({State.COMPLETED})),
        )
        expected = sql_ids(
            store,
            "created_at >= ? AND created_at < ? AND state = 'completed'",
            (start.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), end.strftime("%Y-%m-%dT%H:%M:%S.%fZ")),
        )
        assert count == len(expected) > 0
        assert model_ids(model) == expected


def test_search_by_national_code_in_both_digit_sets_mobile_and_name_prefix(
    qtbot: QtBot, bulk_ctx: AppContext
) -> None:
    store = bulk_ctx.store
    sample = bulk_ctx.queries.rows([sql_ids(store)[1234]])
    row = next(iter(sample.values()))
    with model_for(bulk_ctx) as model:
        same_code = sql_ids(store, "national_code = ?", (row.national_code,))
        for typed in (row.national_code, to_persian_digits(row.national_code)):
            assert load(qtbot, model, QueueFilter(text=typed)) == len(same_code)
            assert model_ids(model) == same_code

        persian_mobile = to_persian_digits(row.mobile)
        load(qtbot, model, QueueFilter(text=persian_mobile))
        assert model_ids(model) == sql_ids(store, "mobile = ?", (row.mobile,))

        prefix = row.last_name[:3]
        load(qtbot, model, QueueFilter(text=prefix))
        expected = sql_ids(
            store, "substr(last_name, 1, 3) = ? OR substr(first_name, 1, 3) = ?", (prefix, prefix)
        )
        assert model_ids(model) == expected and len(expected) > 1


# --- The fixture itself -------------------------------------------------------------------


def test_bulk_requests_are_what_the_counter_would_have_written(
    tmp_path: Path, make_ctx: MakeCtx
) -> None:
    from desktop.demo import seed_demo

    store = Store.open(tmp_path / "fill")
    try:
        seed_demo(store, requests=0)
        catalog = load_catalog_file(demo_catalog_path())
        first = fill_requests(store, 150, now=NOW, batch_size=64)
        second = fill_requests(store, 50, now=NOW, real_hashes=False, seed=2)
        assert (first.first_local_id, first.last_local_id) == (1, 150)
        assert (second.first_local_id, second.last_local_id) == (151, 200)
        with store.read() as s:
            requests = s.query(Request).order_by(Request.local_id).all()
            assert [r.seq for r in requests] == list(range(1, 201))  # gap-free, per device
            assert len({r.reference for r in requests}) == 200
            for r in requests[:150]:
                assert r.content_hash == compute_hash(r)
                assert national_code_is_valid(r.national_code)
                assert r.mobile.startswith("09") and len(r.mobile) == 11
                service = catalog.service(r.service_code)
                fees = service.fees_for(json.loads(r.answers_json))
                assert (r.government_fee, r.office_fee, r.vat) == (
                    fees.government,
                    fees.office,
                    fees.vat,
                )
            assert {r.content_hash for r in requests[150:]} == {PLACEHOLDER_HASH}
            created = [r.created_at for r in requests[:150]]
            assert created == sorted(created) and created[-1] <= NOW
        conn = sqlite3.connect(store.path)
        try:
            assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 200
            assert (
                conn.execute(
                    "SELECT count(DISTINCT request_id) FROM request_state_changes"
                    " WHERE state = 'queued' AND source = 'counter'"
                ).fetchone()[0]
                == 200
            )
            assert conn.execute("SELECT next_seq FROM devices").fetchone()[0] == 201
        finally:
            conn.close()
    finally:
        store.close()
