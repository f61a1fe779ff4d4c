"""Mnemonics unique per window and menu, and Ctrl/Alt keys in either keyboard layout.

Every window and dialog is walked: within one scope (a window's menu bar, buttons and
labels; each menu's items) no two mnemonics may sit on the same physical key, whichever
layout's letter they are written with (Alt+د and Alt+N are one key). Then the keys
themselves, as each layout delivers them: the events are built the way Qt builds them
for that layout and sent through the application (its event filter included).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMenu,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.clerks import ClerkInfo
from desktop.db.engine import Store
from desktop.receipt import receipt_for
from tests.ui.conftest import CLERK_USER, MANAGER_USER, MakeCtx, fill_form, sample_for
from ui.about import AboutDialog
from ui.clerks_dialog import ClerksDialog, PasswordDialog
from ui.context import AppContext
from ui.dayclose_dialog import DayCloseDialog
from ui.detail import RequestDetailDialog
from ui.enrol_dialog import EnrolDialog
from ui.i18n import apply_language
from ui.keyboard import AnyLayoutKeys, install_any_layout_keys, key_of, mnemonic, mnemonic_key
from ui.login import LoginAccess, LoginDialog
from ui.mainwindow import MainWindow
from ui.printing import configured_printer
from ui.printing_preview import ReceiptPreview
from ui.settings_dialog import SettingsDialog
from ui.setup_wizard import SetupWizard

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support"),
]

CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture(autouse=True)
def any_layout_keys(qapp: QApplication) -> AnyLayoutKeys:
    return install_any_layout_keys(qapp)  # as create_application does for the program


def test_physical_keys_of_both_layouts() -> None:
    assert key_of("n") == key_of("N") == key_of("د") == "N"
    assert key_of("ف") == "T" and key_of("ی") == key_of("ي") == "D"
    assert key_of("ک") is None  # on the ';' key: no letter, no mnemonic
    assert mnemonic("&درخواست‌ها") == "د" and mnemonic("د&فتر") == "ف"
    assert mnemonic("Fish && &Chips") == "C" and mnemonic("No mnemonic && here") is None
    assert mnemonic_key("Send &now") == "N"


# --- Every window: mnemonics unique per scope ---------------------------------------------


def _scope_texts(window: QWidget) -> dict[str, list[str]]:
    """Texts with a mnemonic, by scope: the window itself, and each of its menus."""
    scopes: dict[str, list[str]] = {"window": []}
    if isinstance(window, QMainWindow) and window.menuWidget() is not None:
        scopes["window"] += [a.text() for a in window.menuBar().actions()]
    for button in window.findChildren(QAbstractButton):
        scopes["window"].append(button.text())
    for label in window.findChildren(QLabel):
        if label.buddy() is not None:
            scopes["window"].append(label.text())
    for box in window.findChildren(QGroupBox):
        scopes["window"].append(box.title())
    for bar in window.findChildren(QTabBar):
        scopes["window"] += [bar.tabText(i) for i in range(bar.count())]
    for menu in window.findChildren(QMenu):
        scopes[f"menu {menu.title()!r}"] = [a.text() for a in menu.actions()]
    return scopes


def assert_mnemonics_unique(window: QWidget) -> int:
    """Fails on two mnemonics on one key in a scope, or one on a key without a letter."""
    found = 0
    for scope, texts in _scope_texts(window).items():
        by_key: dict[str, list[str]] = {}
        for text in texts:
            if mnemonic(text) is None:
                continue
            key = mnemonic_key(text)
            assert key is not None, f"{text!r} ({scope}): its mnemonic is not on a letter key"
            by_key.setdefault(key, []).append(text)
            found += 1
        clashes = {key: t for key, t in by_key.items() if len(t) > 1}
        assert clashes == {}, f"{type(window).__name__}, {scope}: one key, several mnemonics"
    return found


def test_the_walk_finds_the_clash_that_opened_two_menus(qtbot: QtBot) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.menuBar().addMenu("&درخواست‌ها")
    window.menuBar().addMenu("&دفتر")  # Alt+د: both (issue 14, item 10)
    with pytest.raises(AssertionError, match="one key, several mnemonics"):
        assert_mnemonics_unique(window)
    other = QMainWindow()
    qtbot.addWidget(other)
    other.menuBar().addMenu("&درخواست‌ها")
    other.menuBar().addMenu("&New")  # the same key in the other layout
    with pytest.raises(AssertionError, match="one key, several mnemonics"):
        assert_mnemonics_unique(other)


WindowMaker = Callable[[AppContext], QWidget]


def _detail(ctx: AppContext) -> QWidget:
    request_id = ctx.queries.rows(ctx.queries.ids()[:1]).popitem()[1].id
    return RequestDetailDialog(ctx, request_id, on_correct=lambda _id: None)


def _preview(ctx: AppContext) -> QWidget:
    request_id = ctx.queries.rows(ctx.queries.ids()[:1]).popitem()[1].id
    receipt = receipt_for(ctx.store, request_id, lang=ctx.lang, catalogs=ctx.catalogs)
    return ReceiptPreview(receipt, "80mm", lambda: configured_printer(ctx), ctx.lang)


def _manager(ctx: AppContext) -> ClerkInfo:
    return next(c for c in ctx.clerks.list() if c.username == MANAGER_USER)


WINDOWS: dict[str, WindowMaker] = {
    "main window": MainWindow,
    "login": lambda ctx: LoginDialog(LoginAccess.of(ctx)),
    "set-up": SetupWizard,
    "enrolment": EnrolDialog,
    "accounts": ClerksDialog,
    "password": lambda ctx: PasswordDialog(ctx, _manager(ctx)),
    "day close": DayCloseDialog,
    "detail": _detail,
    "about": AboutDialog,
    "settings": SettingsDialog,
    "receipt preview": _preview,
}


@pytest.mark.parametrize("lang", ["fa", "en"])
@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_no_two_mnemonics_share_a_key_in_any_window(
    qtbot: QtBot,
    make_ctx: MakeCtx,
    populated_store: Store,
    qapp: QApplication,
    name: str,
    lang: str,
) -> None:
    apply_language(qapp, lang)
    ctx = make_ctx(populated_store, clerk=MANAGER_USER, lang=lang)  # the manager sees all
    window = WINDOWS[name](ctx)
    qtbot.addWidget(window)
    found = assert_mnemonics_unique(window)
    if name == "main window":
        assert found >= 15  # the menu bar and every menu item have one
    window.close()


# --- The keys, as each layout delivers them -----------------------------------------------


def press(target: QWidget, key: int, mods: Qt.KeyboardModifier, text: str = "") -> None:
    """A key press as the platform hands it to Qt (through the application's filters)."""
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.sendEvent(target, QKeyEvent(kind, key, mods, text))


@pytest.fixture
def main_window(qtbot: QtBot, populated_ctx: AppContext) -> Iterator[MainWindow]:
    window = MainWindow(populated_ctx)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    yield window
    popup = QApplication.activePopupWidget()
    if popup is not None:
        popup.close()


def open_menu() -> QMenu | None:
    popup = QApplication.activePopupWidget()
    return popup if isinstance(popup, QMenu) else None


def test_alt_opens_the_persian_menus_with_the_english_layout_on(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    focus = main_window.form.picker.search
    press(focus, Qt.Key.Key_N, ALT, "n")  # the key of د: «&درخواست‌ها»
    qtbot.waitUntil(lambda: open_menu() is not None, timeout=3000)
    menu = open_menu()
    assert menu is not None and menu.title() == "&درخواست‌ها"
    # Inside the menu a letter picks its item by the key too: ه is on I («درخواست‌&ها»).
    press(menu, Qt.Key.Key_I, NONE, "i")
    qtbot.waitUntil(lambda: main_window.tabs.currentWidget() is main_window.queue, timeout=3000)
    assert open_menu() is None

    press(focus, Qt.Key.Key_T, ALT, "t")  # ف: «د&فتر», not the requests menu again
    qtbot.waitUntil(lambda: open_menu() is not None, timeout=3000)
    menu = open_menu()
    assert menu is not None and menu.title() == "د&فتر"
    menu.close()


def test_alt_with_the_persian_layout_on_reaches_the_same_menus(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    press(main_window.form.picker.search, ord("ف"), ALT, "ف")
    qtbot.waitUntil(lambda: open_menu() is not None, timeout=3000)
    menu = open_menu()
    assert menu is not None and menu.title() == "د&فتر"
    menu.close()


def test_the_english_menus_open_with_the_persian_layout_on(
    qtbot: QtBot, make_ctx: MakeCtx, populated_store: Store, qapp: QApplication
) -> None:
    apply_language(qapp, "en")
    window = MainWindow(make_ctx(populated_store, clerk=CLERK_USER, lang="en"))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    press(window.form.picker.search, ord("ق"), ALT, "ق")  # the R key: "&Requests"
    qtbot.waitUntil(lambda: open_menu() is not None, timeout=3000)
    menu = open_menu()
    assert menu is not None and menu.title() == "&Requests"
    menu.close()


def test_ctrl_shortcuts_work_with_the_persian_layout_on(
    qtbot: QtBot, main_window: MainWindow, populated_ctx: AppContext
) -> None:
    focus = main_window.form.picker.search
    press(focus, ord("ب"), CTRL, "ب")  # Ctrl+F: search the queue
    assert main_window.tabs.currentWidget() is main_window.queue
    assert main_window.queue.search.hasFocus() or QApplication.focusWidget() is None
    press(main_window.queue.search, ord("د"), CTRL, "د")  # Ctrl+N: a new request
    assert main_window.tabs.currentWidget() is main_window.form

    form = main_window.form
    fill_form(form, sample_for(populated_ctx, "smart_card", seed=5))
    with qtbot.waitSignal(form.saved, timeout=5000):
        press(form.applicant_cells["first_name"].editor.edit, ord("س"), CTRL, "س")  # Ctrl+S


def test_a_latin_ctrl_key_the_focused_field_kept_is_not_taken_from_it(
    qtbot: QtBot, main_window: MainWindow
) -> None:
    """Qt matched Latin shortcuts already; one that reaches the filter is the field's own
    (a text field keeps Ctrl+A for "select all" even if the window had a Ctrl+A action)."""
    taken: list[bool] = []
    action = QAction("select everything", main_window)
    action.setShortcut(QKeySequence("Ctrl+A"))
    action.triggered.connect(lambda: taken.append(True))
    main_window.addAction(action)
    search = main_window.form.picker.search
    search.setText("کارت")
    search.setFocus()
    press(search, Qt.Key.Key_A, CTRL, "\x01")
    assert taken == [] and search.selectedText() == "کارت"


def test_on_windows_the_virtual_key_names_the_letter_of_any_layout(
    qtbot: QtBot, main_window: MainWindow, populated_ctx: AppContext
) -> None:
    """A layout the Persian table does not know (Russian here): Windows' key code says S."""
    keys = AnyLayoutKeys(windows=True)
    form = main_window.form
    fill_form(form, sample_for(populated_ctx, "smart_card", seed=6))
    target = form.applicant_cells["first_name"].editor.edit
    event = QKeyEvent(QEvent.Type.KeyPress, ord("ы"), CTRL, 0x1F, 0x53, 0, "ы")
    with qtbot.waitSignal(form.saved, timeout=5000):
        assert keys.eventFilter(target, event)
    latin = QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_S, CTRL, 0x1F, 0x53, 0, "\x13")
    assert not keys.eventFilter(target, latin)  # Qt itself matches Ctrl+S on the S key


def test_typing_is_never_taken_for_a_shortcut(qtbot: QtBot, main_window: MainWindow) -> None:
    search = main_window.form.picker.search
    actions_before = [a.isChecked() for a in main_window.findChildren(QAction)]
    for char in "دفتر":
        press(search, ord(char), NONE, char)
    press(search, ord("د"), CTRL | ALT, "د")  # AltGr on many layouts
    assert open_menu() is None
    assert [a.isChecked() for a in main_window.findChildren(QAction)] == actions_before
