"""The main window at 1366×768 and 1024×768: resizable, fitted to the screen, remembered.

``place_window`` is checked case by case (pure rectangles); then the real window on real
(offscreen) screens of those sizes, in a process of its own (tests/ui/window_on_screens.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QMargins, QRect, QSize

from desktop.db.engine import DB_FILENAME, Store
from ui.window_geometry import (
    DEFAULT_SIZE,
    Placement,
    place_window,
    placement_text,
    saved_placement,
)

ROOT = Path(__file__).resolve().parents[2]
FRAME = QMargins(8, 31, 8, 8)
# Available geometries: the screen minus a 40 px taskbar at the bottom.
LAPTOP = QRect(0, 0, 1366, 728)
SMALL = QRect(1366, 0, 1024, 728)
WIDE = QRect(0, 0, 1920, 1040)


def outer(p: Placement) -> QRect:
    return p.rect.marginsAdded(FRAME)


def inside(p: Placement, room: QRect) -> bool:
    return room.contains(outer(p))


def test_the_first_start_is_centred_where_it_fits_and_maximised_where_it_does_not() -> None:
    wide = place_window(None, [WIDE], frame=FRAME)
    assert not wide.maximized and wide.rect.size() == DEFAULT_SIZE and inside(wide, WIDE)
    assert abs(outer(wide).center().x() - WIDE.center().x()) <= 1
    for room in (LAPTOP, SMALL):
        small = place_window(None, [room], frame=FRAME)
        assert small.maximized  # 1280×800 and its frame are taller than 728
        assert inside(small, room)  # and its normal size fits too, for un-maximising


def test_a_saved_place_is_kept_when_it_is_on_a_screen() -> None:
    saved = Placement(QRect(100, 80, 1000, 600))
    assert place_window(saved, [LAPTOP, SMALL], frame=FRAME) == saved
    maximized = Placement(QRect(1400, 40, 900, 600), maximized=True)
    assert place_window(maximized, [LAPTOP, SMALL], frame=FRAME) == maximized


def test_a_place_saved_on_a_larger_monitor_is_shrunk_and_moved_onto_this_one() -> None:
    saved = Placement(QRect(300, 200, 1600, 1000))
    placed = place_window(saved, [LAPTOP], frame=FRAME)
    assert inside(placed, LAPTOP)
    assert placed.rect.size() == QSize(1366 - 16, 728 - 39)


def test_a_window_half_off_the_screen_is_brought_back_whole() -> None:
    saved = Placement(QRect(900, 500, 1000, 600))  # right and bottom parts off the laptop
    placed = place_window(saved, [LAPTOP], frame=FRAME)
    assert inside(placed, LAPTOP) and placed.rect.size() == saved.rect.size()


@pytest.mark.parametrize(
    "rect",
    [
        QRect(5000, 40, 1100, 700),  # a second monitor since unplugged
        QRect(-3000, -2000, 900, 600),  # nowhere
        QRect(100, -400, 1000, 600),  # title bar above the top edge: it could not be moved
        QRect(-950, 100, 1000, 600),  # only a sliver of the title bar on the laptop
    ],
)
def test_a_place_off_every_screen_falls_back_to_the_primary_one(rect: QRect) -> None:
    placed = place_window(Placement(rect), [SMALL, LAPTOP], primary=1, frame=FRAME)
    assert placed == place_window(None, [SMALL, LAPTOP], primary=1, frame=FRAME)
    assert inside(placed, LAPTOP)


def test_the_window_never_goes_below_its_minimum_and_keeps_its_title_bar_reachable() -> None:
    tiny = QRect(0, 0, 800, 560)
    placed = place_window(
        Placement(QRect(300, 300, 700, 500)), [tiny], minimum=QSize(996, 346), frame=FRAME
    )
    assert placed.rect.width() == 996  # wider than the screen: Qt would refuse less anyway
    # Too wide to be wholly on it: its start (and the title bar's) is, the rest runs off.
    assert outer(placed).left() == tiny.left()
    assert tiny.top() <= outer(placed).top() and outer(placed).bottom() <= tiny.bottom()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{",
        "[]",
        "null",
        '{"x": 1, "y": 2, "width": 3}',
        '{"x": "1", "y": 2, "width": 300, "height": 200}',
        '{"x": true, "y": 2, "width": 300, "height": 200}',
        '{"x": 1.5, "y": 2, "width": 300, "height": 200}',
        '{"x": 1, "y": 2, "width": 0, "height": 200}',
        '{"x": 1, "y": 2, "width": 300, "height": 10000000000}',
    ],
)
def test_a_settings_file_edited_by_hand_never_breaks_the_start(text: str) -> None:
    assert saved_placement(text) is None


def test_a_placement_reads_back_as_it_was_written() -> None:
    for placement in (Placement(QRect(-1200, 10, 1100, 700), True), Placement(QRect(0, 0, 1, 1))):
        assert saved_placement(placement_text(placement)) == placement


@pytest.fixture(scope="module")
def on_screens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The real window on a 1366×768 and a 1024×768 screen (the first is primary)."""
    from desktop.demo import seed_demo

    folder = tmp_path_factory.mktemp("screens")
    config = folder / "screens.json"
    config.write_text(
        json.dumps(
            {
                "screens": [
                    {"name": "a-1366", "x": 0, "y": 0, "width": 1366, "height": 768},
                    {"name": "b-1024", "x": 1366, "y": 0, "width": 1024, "height": 768},
                ]
            }
        )
    )
    data = folder / "data"
    store = Store.open(data)
    seed_demo(store, requests=5)
    store.close()
    assert (data / DB_FILENAME).exists()
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM=f"offscreen:configfile={config}")
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.window_on_screens", str(data)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    unexpected = [
        line
        for line in done.stderr.splitlines()
        if line.strip() and "does not support propagateSizeHints" not in line
    ]
    assert unexpected == []
    result: dict[str, object] = json.loads(done.stdout)
    return result


def _rect(values: object) -> QRect:
    assert isinstance(values, list)
    return QRect(*values)


@pytest.mark.parametrize("screen", ["a-1366", "b-1024"])
def test_on_each_screen_the_status_bar_and_the_save_button_are_on_it(
    on_screens: dict[str, object], screen: str
) -> None:
    room = _rect(on_screens["screens"][screen])  # type: ignore[index]
    seen = on_screens[f"on_{screen}"]
    assert isinstance(seen, dict)
    assert seen["screen"] == screen
    assert room.contains(_rect(seen["frame"]))  # a window saved larger was fitted
    assert seen["status_bar_visible"] and room.contains(_rect(seen["status_bar"]))
    assert seen["save_button_visible"] and room.contains(_rect(seen["save_button"]))


@pytest.mark.parametrize("screen", ["a-1366", "b-1024"])
def test_the_next_window_opens_where_the_last_one_was_closed(
    on_screens: dict[str, object], screen: str
) -> None:
    saved = saved_placement(str(on_screens[f"saved_after_{screen}"]))
    assert saved is not None and not saved.maximized
    assert _rect(on_screens[f"reopened_after_{screen}"]) == saved.rect
    seen = on_screens[f"on_{screen}"]
    assert isinstance(seen, dict)
    # What was saved is the client area of the window that was measured.
    assert _rect(seen["frame"]).contains(saved.rect)


def test_the_first_start_and_an_unplugged_monitor_open_on_the_primary_screen(
    on_screens: dict[str, object],
) -> None:
    assert on_screens["primary"] == "a-1366"
    room = _rect(on_screens["screens"]["a-1366"])  # type: ignore[index]
    for case in ("first", "gone"):
        seen = on_screens[case]
        assert isinstance(seen, dict)
        assert seen["screen"] == "a-1366" and seen["maximized"]  # 1280×800 does not fit 768
        assert room.contains(_rect(seen["status_bar"]))
