"""Where the main window opens: its last size and place, kept on a screen that is there.

Office monitors run from 1024×768 to full HD, and a Windows taskbar takes a strip of
one edge. So the window is resizable; it opens where it was last closed, made to fit
the *available* geometry (the screen minus taskbars and docks) of a screen that is still
attached, so neither its title bar nor its status bar and save row are ever out of
reach; a place saved on a monitor since unplugged, or a settings file edited by hand,
falls back to the primary screen. The first start opens at ``DEFAULT_SIZE`` centred, or
maximised where that does not fit (a maximised window is the one size the system fits
around the taskbar by itself).

``place_window`` is pure (rectangles in, rectangle out) so every case is tested without
a screen; ``saved_placement``/``placement_text`` read and write the settings' text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QMargins, QPoint, QRect, QSize

DEFAULT_SIZE = QSize(1280, 800)
#: The system's frame around the client area, before the window is shown and Qt knows it
#: (a Windows 10/11 title bar and borders); the real one is used once it is known.
FRAME_ALLOWANCE = QMargins(8, 31, 8, 8)
#: How much of the title bar must be on a screen for the saved place to count as on it.
GRAB_W, GRAB_H = 120, 20


@dataclass(frozen=True)
class Placement:
    """The window's client rectangle (in the virtual desktop) and whether it is maximised."""

    rect: QRect
    maximized: bool = False


def placement_text(placement: Placement) -> str:
    """The settings' form of a placement (plain JSON: readable and editable by hand)."""
    r = placement.rect
    return json.dumps(
        {
            "x": r.x(),
            "y": r.y(),
            "width": r.width(),
            "height": r.height(),
            "maximized": placement.maximized,
        }
    )


def saved_placement(text: str) -> Placement | None:
    """The placement in ``text``, or None if there is none or it is not one (never raises)."""
    if not text:
        return None
    try:
        value = json.loads(text)
        x, y, w, h = (value[k] for k in ("x", "y", "width", "height"))
        maximized = value.get("maximized", False)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    numbers = (x, y, w, h)
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        return None
    if w <= 0 or h <= 0 or max(abs(n) for n in numbers) > 100_000:
        return None
    return Placement(QRect(x, y, w, h), maximized is True)


def _outer(rect: QRect, frame: QMargins) -> QRect:
    return rect.marginsAdded(frame)


def _grab_strip(rect: QRect, frame: QMargins) -> QRect:
    """The title bar's middle: what the clerk must be able to reach to move the window."""
    outer = _outer(rect, frame)
    top = QRect(outer.x(), outer.y(), outer.width(), max(frame.top(), GRAB_H))
    return top


def _fit(size: QSize, minimum: QSize, room: QRect, frame: QMargins) -> QSize:
    """``size`` shrunk to fit ``room`` with its frame, never below ``minimum``."""
    width = room.width() - frame.left() - frame.right()
    height = room.height() - frame.top() - frame.bottom()
    return QSize(
        max(min(size.width(), width), minimum.width()),
        max(min(size.height(), height), minimum.height()),
    )


def _inside(rect: QRect, room: QRect, frame: QMargins) -> QRect:
    """``rect`` moved (not resized) so that its frame is inside ``room``, the top-left
    corner winning when it cannot all be (the title bar stays reachable)."""
    outer = _outer(rect, frame)
    x = min(outer.x(), room.right() + 1 - outer.width())
    y = min(outer.y(), room.bottom() + 1 - outer.height())
    x, y = max(x, room.x()), max(y, room.y())
    return QRect(QPoint(x + frame.left(), y + frame.top()), rect.size())


def _centred(size: QSize, room: QRect, frame: QMargins) -> QRect:
    outer = QSize(
        size.width() + frame.left() + frame.right(), size.height() + frame.top() + frame.bottom()
    )
    x = room.x() + max(0, (room.width() - outer.width()) // 2)
    y = room.y() + max(0, (room.height() - outer.height()) // 2)
    return QRect(QPoint(x + frame.left(), y + frame.top()), size)


def place_window(
    saved: Placement | None,
    screens: Sequence[QRect],
    *,
    primary: int = 0,
    minimum: QSize | None = None,
    default: QSize = DEFAULT_SIZE,
    frame: QMargins = FRAME_ALLOWANCE,
) -> Placement:
    """Where to open the window, given the available geometry of each attached screen.

    A saved place counts if enough of its title bar is on one screen: it is kept, shrunk
    to that screen if it has become too large (a smaller monitor), and moved to be wholly
    on it. Otherwise (no saved place, a screen gone, a place off every screen) the window
    opens on the primary screen, centred at ``default`` size, or maximised if that does
    not fit.
    """
    minimum = minimum if minimum is not None else QSize(0, 0)
    if not screens:  # no screen at all (should not happen): Qt's own choice
        return Placement(QRect(QPoint(0, 0), default), False)
    if saved is not None:
        strip = _grab_strip(saved.rect, frame)
        best, best_area = None, 0
        for room in screens:
            seen = strip.intersected(room)
            area = seen.width() * seen.height() if not seen.isEmpty() else 0
            if seen.width() >= GRAB_W and seen.height() >= min(GRAB_H, strip.height()):
                if area > best_area:
                    best, best_area = room, area
        if best is not None:
            size = _fit(saved.rect.size(), minimum, best, frame)
            return Placement(
                _inside(QRect(saved.rect.topLeft(), size), best, frame), saved.maximized
            )
    room = screens[primary if 0 <= primary < len(screens) else 0]
    fits = (
        default.width() + frame.left() + frame.right() <= room.width()
        and default.height() + frame.top() + frame.bottom() <= room.height()
    )
    size = _fit(default, minimum, room, frame)
    return Placement(_centred(size, room, frame), maximized=not fits)


__all__ = [
    "DEFAULT_SIZE",
    "FRAME_ALLOWANCE",
    "Placement",
    "place_window",
    "placement_text",
    "saved_placement",
]
