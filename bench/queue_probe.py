"""The child process of the queue benchmark: the real queue view on a big store, timed.

``python -m bench.queue_probe DATA_DIR SEARCHES`` opens the store and builds the
program's context as ``ui.app`` does, then, offscreen at 1280×800:

- opens ``ui.queue_view.QueueView`` (its ``QueueModel`` loads every local id on the
  worker thread) and waits until the first screen of rows is painted;
- scrolls to the end and repaints (the oldest page read by id);
- filters by state ("waiting to be sent", then "completed"), each until painted;
- searches ``SEARCHES`` national codes taken from the store, each until painted
  (the 250 ms typing debounce is skipped: it is a pause by design, not work);

and the same reads by bare ``sqlite3`` (the baseline: the queries alone, no model, no
view), interleaved. It prints one JSON object with the timings and the process's RSS.
A separate process, so that the memory figures are this view's alone.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import sys
import time
from array import array
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget

from bench.common import rss_bytes

ROW_SQL = (
    "SELECT local_id, id, reference, service_code, service_title_fa, service_title_en,"
    " national_code, first_name, last_name, mobile, government_fee + office_fee + vat, state,"
    " tracking_code, reason_fa, reason_en, created_at, clerk_username FROM requests"
)


class Bare:
    """The baseline: what the queries cost through a plain read-only sqlite3 connection."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    def ids(self, where: str = "", params: tuple[object, ...] = ()) -> array[int]:
        out = array("q")
        cur = self.conn.execute(
            f"SELECT local_id FROM requests {where} ORDER BY local_id DESC", params
        )
        while chunk := cur.fetchmany(65536):
            out.extend(r[0] for r in chunk)
        return out

    def page(self, ids: array[int], start: int) -> list[tuple[object, ...]]:
        part = list(ids[start : start + 200])
        marks = ",".join("?" * len(part))
        return self.conn.execute(f"{ROW_SQL} WHERE local_id IN ({marks})", part).fetchall()


class PaintCounter(QObject):
    """Counts paint events of a widget; ``since_load``: one happened after the last reset."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        self.since_load = False
        widget.installEventFilter(self)

    def loaded(self) -> None:
        self.since_load = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
            self.since_load = True
        return False


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(data_dir: Path, searches: int) -> dict[str, object]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.db.engine import DB_FILENAME, Store
    from desktop.states import State
    from ui.app import build_context, create_application
    from ui.queue_view import QueueView

    out: dict[str, object] = {}
    app = create_application()
    store = Store.open(data_dir)
    ctx = build_context(data_dir, store, lang="fa")
    bare = Bare(data_dir / DB_FILENAME)
    codes = [
        r[0]
        for r in bare.conn.execute(
            "SELECT national_code FROM requests WHERE local_id IN"
            " (SELECT abs(random()) % (SELECT max(local_id) FROM requests) + 1"
            "  FROM requests LIMIT ?)",
            (searches,),
        )
    ]
    random.Random(7).shuffle(codes)
    out["rss_before"] = rss_bytes()

    # Open: the view, its model's id list, the first screen painted.
    t0 = time.perf_counter()
    view = QueueView(ctx)
    view.resize(1280, 800)
    view.show()
    model = view.model
    paints = PaintCounter(view.table.viewport())
    model.modelReset.connect(paints.loaded)  # every set_filter resets the model

    def wait_loaded() -> None:
        """Until the model has its new ids and the table has painted them (rows read then)."""
        deadline = time.monotonic() + 300
        while model.busy or not model.loaded_once or not paints.since_load:
            if time.monotonic() > deadline:
                raise RuntimeError("the queue view never showed the result")
            ctx.worker.wait_idle(2)
            app.processEvents()

    wait_loaded()
    out["open_s"] = time.perf_counter() - t0
    out["rows"] = model.rowCount()
    out["cached_after_open"] = model.cached_rows
    ids = bare.ids()
    out["bare_open_s"] = timed(lambda: (bare.ids(), bare.page(ids, 0)))

    # Scroll to the end: the oldest rows, read by id, painted.
    def to_end() -> None:
        view.table.scrollToBottom()
        before = paints.count
        while paints.count == before:
            app.processEvents()

    out["scroll_end_s"] = timed(to_end)
    out["bare_page_end_s"] = timed(lambda: bare.page(ids, len(ids) - 200))
    out["last_row_shown"] = model.queue_row(model.rowCount() - 1) is not None

    # Filter by state.
    combo = view.state_combo
    for key, states in (
        ("waiting", (State.QUEUED, State.SENDING)),
        ("completed", (State.COMPLETED,)),
    ):
        index = next(i for i in range(combo.count()) if combo.itemData(i) == frozenset(states))

        def choose(index: int = index) -> None:
            combo.setCurrentIndex(index)
            wait_loaded()

        out[f"filter_{key}_s"] = timed(choose)
        out[f"filter_{key}_rows"] = model.rowCount()
        marks = ",".join("?" * len(states))
        out[f"bare_filter_{key}_s"] = timed(
            lambda states=states, marks=marks: bare.page(
                bare.ids(f"WHERE state IN ({marks})", tuple(states)), 0
            )
        )
    combo.setCurrentIndex(0)
    wait_loaded()

    # Search by national code, as the clerk would (Enter, no debounce).
    search_s: list[float] = []
    bare_s: list[float] = []
    found = 0
    missed: list[str] = []
    for code in codes:

        def search(code: str = code) -> None:
            view.search.setText(code)
            view.apply_filter()
            wait_loaded()

        search_s.append(timed(search))
        if model.rowCount() > 0:
            found += 1
        else:
            missed.append(code)
        bare_s.append(
            timed(lambda code=code: bare.page(bare.ids("WHERE national_code = ?", (code,)), 0))
        )
    out["search_s"] = search_s
    out["bare_search_s"] = bare_s
    out["search_found"] = found
    out["search_missed"] = missed
    out["rss_after"] = rss_bytes()
    out["cached_rows_end"] = model.cached_rows
    view.close()
    ctx.worker.wait_idle()
    return out


if __name__ == "__main__":
    result = main(Path(sys.argv[1]), int(sys.argv[2]))
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # the figures are out; tearing down a million-row view is not measured
