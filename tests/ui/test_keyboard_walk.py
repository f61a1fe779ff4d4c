"""Every window and dialog can be walked by Tab alone (issue 14, item 1).

The windows and dialogs are found generically: every ``QDialog``/``QMainWindow``
subclass defined in a ``ui`` module must have a way to open it in ``OPENERS`` below, so
a new dialog without one fails here instead of escaping the walk. Each is opened on a
real store, shown, activated, and walked with real Tab key presses: focus must reach
every control that takes Tab focus, never stay put (a table that moves from cell to
cell on Tab is a trap), and every table/view must have Tab key navigation off. The
focus must also be visible: a focused control looks clearly different from itself
unfocused (more than a 1 px outline's worth of pixels).
"""

from __future__ import annotations

import importlib
import inspect
import io
import itertools
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QDialog,
    QMainWindow,
    QRadioButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

import ui
from desktop.db.engine import Store
from desktop.receipt import receipt_for
from desktop.scans.budgets import ScanKind
from desktop.scans.shrink import shrink_bytes
from tests.ui.conftest import CLERK_USER, MANAGER_USER, MakeCtx, clerk_named, sample_for
from ui.about import AboutDialog
from ui.clerks_dialog import ClerksDialog, PasswordDialog
from ui.dayclose_dialog import DayCloseDialog
from ui.detail import RequestDetailDialog
from ui.enrol_dialog import EnrolDialog
from ui.login import LoginAccess, LoginDialog
from ui.mainwindow import MainWindow
from ui.printing_preview import ReceiptPreview
from ui.recovery_key import RecoveryKeyDialog
from ui.scan_preview import ScanPreview
from ui.settings_dialog import SettingsDialog
from ui.setup_wizard import SetupWizard


@dataclass
class Stores:
    """What an opener builds a window on: real stores in tmp_path."""

    make_ctx: MakeCtx
    office: Store  # set up, no requests
    populated: Store  # set up, requests in every state
    fresh: Store  # before set-up


Opener = Callable[[Stores], QWidget]


def _detail(st: Stores) -> QWidget:
    ctx = st.make_ctx(st.populated, clerk=CLERK_USER)
    request_id = ctx.queries.rows(ctx.queries.ids()[:1]).popitem()[1].id
    return RequestDetailDialog(ctx, request_id)


def _password(st: Stores) -> QWidget:
    ctx = st.make_ctx(st.office, clerk=MANAGER_USER)
    return PasswordDialog(ctx, clerk_named(ctx, CLERK_USER))


def _main_with_service(st: Stores) -> QWidget:
    window = MainWindow(st.make_ctx(st.populated, clerk=CLERK_USER))
    window.form.picker.choose("criminal_record")  # the generated form's fields too
    return window


def _preview(st: Stores) -> QWidget:
    ctx = st.make_ctx(st.office, clerk=CLERK_USER)
    assert ctx.clerk is not None
    saved = ctx.intake.save(ctx.clerk, sample_for(ctx, "criminal_record"))
    receipt = receipt_for(ctx.store, saved.id, lang=ctx.lang)
    return ReceiptPreview(receipt, "80mm", QPrinter, ctx.lang)


def _scan_preview(st: Stores) -> QWidget:
    ctx = st.make_ctx(st.office, clerk=CLERK_USER)
    out = io.BytesIO()
    Image.new("L", (300, 424), 255).save(out, "JPEG")
    scan = shrink_bytes(out.getvalue(), ScanKind.DOCUMENT)
    return ScanPreview("scan-0001.jpg", scan, ctx.lang, ctx.worker.aside)


OPENERS: dict[type, Opener] = {
    ScanPreview: _scan_preview,
    ReceiptPreview: _preview,
    SettingsDialog: lambda st: SettingsDialog(st.make_ctx(st.office, clerk=MANAGER_USER)),
    LoginDialog: lambda st: LoginDialog(LoginAccess.of(st.make_ctx(st.office))),
    RecoveryKeyDialog: lambda st: RecoveryKeyDialog("0123456789" * 4 + "01234567", "fa"),
    MainWindow: _main_with_service,
    ClerksDialog: lambda st: ClerksDialog(st.make_ctx(st.office, clerk=MANAGER_USER)),
    PasswordDialog: _password,
    DayCloseDialog: lambda st: DayCloseDialog(st.make_ctx(st.populated, clerk=MANAGER_USER)),
    RequestDetailDialog: _detail,
    AboutDialog: lambda st: AboutDialog(st.make_ctx(st.office, clerk=CLERK_USER)),
    EnrolDialog: lambda st: EnrolDialog(st.make_ctx(st.office, clerk=MANAGER_USER)),
    SetupWizard: lambda st: SetupWizard(st.make_ctx(st.fresh)),
}


@pytest.fixture
def stores(
    make_ctx: MakeCtx, office_store: Store, populated_store: Store, tmp_path: Path
) -> Iterator[Stores]:
    folder = tmp_path / "fresh"
    folder.mkdir()
    fresh = Store.open(folder)
    yield Stores(make_ctx, office_store, populated_store, fresh)
    fresh.close()


def window_classes() -> list[type]:
    """Every dialog and main window the ``ui`` package defines."""
    found: set[type] = set()
    for info in pkgutil.iter_modules(ui.__path__):
        module = importlib.import_module(f"ui.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ == module.__name__ and issubclass(obj, (QDialog, QMainWindow)):
                found.add(obj)
    return sorted(found, key=lambda c: c.__qualname__)


def test_every_window_class_has_an_opener() -> None:
    missing = [c.__qualname__ for c in window_classes() if c not in OPENERS]
    assert not missing, f"add these to OPENERS so the Tab walk covers them: {missing}"


def tab_targets(window: QWidget) -> list[QWidget]:
    """The controls Tab must reach: visible, enabled, taking Tab focus themselves."""
    targets: list[QWidget] = []
    groups: set[int] = set()
    for widget in window.findChildren(QWidget):
        if widget.window() is not window or not widget.isVisible() or not widget.isEnabled():
            continue
        if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or widget.focusProxy():
            continue
        if isinstance(widget, QRadioButton) and widget.autoExclusive():
            # Tab visits one button of an exclusive group; arrows choose within it.
            parent = id(widget.parentWidget())
            if parent in groups:
                continue
            groups.add(parent)
            if not widget.isChecked() and any(
                isinstance(s, QRadioButton) and s.isChecked()
                for s in widget.parentWidget().findChildren(QRadioButton)
            ):
                continue
        targets.append(widget)
    return targets


def open_window(qtbot: QtBot, window: QWidget) -> None:
    qtbot.addWidget(window)
    window.resize(1280, 760)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    QApplication.processEvents()


def walk(qtbot: QtBot, window: QWidget, steps: int) -> list[QWidget]:
    """Press Tab ``steps`` times from the first control; the focus after each press."""
    if QApplication.focusWidget() is None or QApplication.focusWidget().window() is not window:
        window.focusNextChild()
    visited: list[QWidget] = []
    for _ in range(steps):
        current = QApplication.focusWidget()
        assert current is not None and current.window() is window
        visited.append(current)
        QTest.keyClick(current, Qt.Key.Key_Tab)
    return visited


def name(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QAbstractButton) else ""
    return f"{type(widget).__name__}({widget.objectName() or text!r})"


@pytest.mark.parametrize("cls", window_classes(), ids=lambda c: c.__qualname__)
def test_tab_reaches_every_control_and_leaves_every_table(
    qtbot: QtBot, stores: Stores, cls: type
) -> None:
    window = OPENERS[cls](stores)
    open_window(qtbot, window)
    check_walk(qtbot, window)
    if isinstance(window, MainWindow):
        window.show_queue()  # the other tab: filters, the queue's table
        qtbot.waitUntil(lambda: window.queue.isVisible())
        check_walk(qtbot, window)
    window.close()


def check_walk(qtbot: QtBot, window: QWidget) -> None:
    for view in window.findChildren(QAbstractItemView):
        assert not view.tabKeyNavigation(), f"{name(view)} keeps Tab among its cells"
    targets = tab_targets(window)
    assert targets, f"{type(window).__qualname__} has nothing to Tab to"
    visited = walk(qtbot, window, 2 * len(targets) + 2)
    stuck = [name(a) for a, b in itertools.pairwise(visited) if a is b and len(targets) > 1]
    assert not stuck, f"Tab does not leave: {stuck}"
    missed = [name(w) for w in targets if w not in visited]
    assert not missed, f"Tab never reaches: {missed}"


def differing_pixels(a: QImage, b: QImage) -> int:
    a = a.convertToFormat(QImage.Format.Format_RGB32)
    b = b.convertToFormat(QImage.Format.Format_RGB32)
    assert a.size() == b.size()
    return sum(a.pixel(x, y) != b.pixel(x, y) for y in range(a.height()) for x in range(a.width()))


@pytest.mark.parametrize("cls", [DayCloseDialog, ClerksDialog, LoginDialog, MainWindow])
def test_the_focused_control_is_clearly_marked(qtbot: QtBot, stores: Stores, cls: type) -> None:
    window = OPENERS[cls](stores)
    open_window(qtbot, window)
    faint: list[str] = []
    for widget in tab_targets(window):
        if isinstance(widget, QAbstractItemView) or widget.width() * widget.height() > 200_000:
            continue  # a table's ring is its border: checked below on a small one
        other = next(t for t in tab_targets(window) if t is not widget)
        other.setFocus(Qt.FocusReason.TabFocusReason)
        QApplication.processEvents()
        plain = widget.grab().toImage()
        widget.setFocus(Qt.FocusReason.TabFocusReason)
        QApplication.processEvents()
        assert widget.hasFocus()
        focused = widget.grab().toImage()
        # A 1 px outline changes about one perimeter of pixels; a ring changes two or more.
        perimeter = 2 * (widget.width() + widget.height())
        if differing_pixels(plain, focused) < 1.5 * perimeter:
            faint.append(name(widget))
    assert not faint, f"focus hard to see on: {faint}"
