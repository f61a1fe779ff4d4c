"""Keyboard shortcuts and mnemonics that work whichever keyboard layout is on.

A counter PC switches between the Persian and the English layout all day. Qt matches a
shortcut by the character the layout produces: with the English layout on, Alt+N is not
Alt+د although it is the same key, so the Persian menus' mnemonics did nothing; with a
Persian layout, Ctrl+S arrives as Ctrl+س where the platform does not fall back to the
Latin letter itself (Windows does, X11 only with a Latin group configured).

``AnyLayoutKeys``, an application event filter, takes the key presses Qt found no
shortcut for (the ones it matched never reach the filter, so nothing fires twice) and
matches them again by the *physical key*: the Latin letter printed on it, read from the
Windows virtual-key code where there is one, else from the standard Persian layout
(ISIRI 9147, and the legacy Windows layout's differences). It then triggers the
window's action or shortcut with that Ctrl combination, or the menu, button or label
whose mnemonic sits on that key. Editing keys are left alone: a Latin Ctrl combination
(Ctrl+C in a text field) is never re-matched.

Mnemonics must therefore be unique per physical key in each scope (a window's menu bar
and buttons, each menu's items): ``mnemonic_key`` gives the key of a text's mnemonic,
and tests/ui/test_keyboard.py walks every window to check it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QMainWindow,
    QMenu,
    QWidget,
)

if TYPE_CHECKING:
    from PySide6.QtCore import Qt

log = logging.getLogger("pishkhan.ui")

#: The Latin letter on the key that types each Persian letter (the standard Windows and
#: ISIRI layout; the legacy Windows layout's ئ and ى too). Letters on punctuation keys
#: (ج چ ک گ و) map to those keys' characters.
PERSIAN_KEYS: dict[str, str] = {
    "ض": "Q",
    "ص": "W",
    "ث": "E",
    "ق": "R",
    "ف": "T",
    "غ": "Y",
    "ع": "U",
    "ه": "I",
    "خ": "O",
    "ح": "P",
    "ج": "[",
    "چ": "]",
    "ش": "A",
    "س": "S",
    "ی": "D",
    "ي": "D",
    "ى": "D",
    "ب": "F",
    "ل": "G",
    "ا": "H",
    "ت": "J",
    "ن": "K",
    "م": "L",
    "ک": ";",
    "ك": ";",
    "گ": "'",
    "ظ": "Z",
    "ط": "X",
    "ز": "C",
    "ر": "V",
    "ذ": "B",
    "د": "N",
    "پ": "M",
    "ئ": "M",
    "و": ",",
}

_VK_A, _VK_Z = 0x41, 0x5A  # Windows virtual-key codes of the letter keys: 'A'..'Z'


def key_of(char: str) -> str | None:
    """The Latin letter (upper case) on the key that types ``char``; None if not a letter
    key of the Latin or the Persian layout."""
    if len(char) != 1:
        return None
    if "a" <= char.lower() <= "z":
        return char.upper()
    latin = PERSIAN_KEYS.get(char)
    return latin if latin is not None and latin.isalpha() else None


def mnemonic(text: str) -> str | None:
    """The character after the single ``&`` of ``text`` ("&&" is a literal ampersand)."""
    i = 0
    while i < len(text) - 1:
        if text[i] == "&":
            if text[i + 1] != "&":
                return text[i + 1]
            i += 1
        i += 1
    return None


def mnemonic_key(text: str) -> str | None:
    """The physical key of ``text``'s mnemonic (see ``key_of``)."""
    char = mnemonic(text)
    return key_of(char) if char is not None else None


def _event_key(event: QKeyEvent, *, windows: bool) -> tuple[str | None, bool]:
    """The Latin letter of the key pressed, and whether the layout typed a non-Latin one."""
    if windows and _VK_A <= event.nativeVirtualKey() <= _VK_Z:
        latin = chr(event.nativeVirtualKey())  # the letter on the key, in every layout
        return latin, event.key() != ord(latin)  # Qt.Key_A..Key_Z are 'A'..'Z'
    key = event.key()
    char = chr(key) if 0 < key < 0x110000 else ""
    text = event.text()
    for candidate in (char, text[:1]):
        found = key_of(candidate) if candidate else None
        if found is not None:
            return found, not ("a" <= candidate.lower() <= "z")
    return None, False


class AnyLayoutKeys(QObject):
    """Install once on the application (``install_any_layout_keys``)."""

    def __init__(self, parent: QObject | None = None, *, windows: bool | None = None) -> None:
        super().__init__(parent)
        if windows is None:
            windows = QApplication.platformName() == "windows"
        self._windows = windows

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        # The Qt namespace is reached here, at the first key press, not on import: this
        # module is loaded on the way to the login window (ARCHITECTURE.md, start-up),
        # and even importing the name builds its enums (~30 ms of CPU in PySide6 6.11).
        from PySide6.QtCore import Qt

        modifier = Qt.KeyboardModifier
        mods = event.modifiers() & (
            modifier.ControlModifier | modifier.AltModifier | modifier.ShiftModifier
        )
        ctrl, alt = bool(mods & modifier.ControlModifier), bool(mods & modifier.AltModifier)
        popup = QApplication.activePopupWidget()
        if isinstance(popup, QMenu) and not ctrl:
            return self._in_menu(popup, event)
        if ctrl == alt:  # neither, or Ctrl+Alt (AltGr on many layouts): typing, not a command
            return False
        latin, translated = _event_key(event, windows=self._windows)
        if latin is None:
            return False
        # The window of the widget the key went to (the active window, unless a test or
        # an accessibility tool sent it elsewhere).
        window = watched.window() if isinstance(watched, QWidget) else None
        window = window or QApplication.activeWindow()
        if window is None:
            return False
        if ctrl:
            # Only a key the layout changed: a Latin Ctrl+C in a text field is its own.
            return translated and self._shortcut(window, mods, latin)
        return self._mnemonic(window, latin)

    # --- Ctrl combinations ------------------------------------------------------------------

    @staticmethod
    def _shortcut(window: QWidget, mods: Qt.KeyboardModifier, latin: str) -> bool:
        from PySide6.QtCore import Qt

        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        parts = ["Ctrl"] + (["Shift"] if shift else []) + [latin]
        wanted = QKeySequence("+".join(parts))
        for action in _window_actions(window):
            if action.isEnabled() and wanted in action.shortcuts():
                action.trigger()
                return True
        for shortcut in window.findChildren(QShortcut):
            parent = shortcut.parent()
            visible = not isinstance(parent, QWidget) or parent.isVisible()
            if shortcut.isEnabled() and visible and shortcut.key() == wanted:
                shortcut.activated.emit()
                return True
        return False

    # --- Alt + mnemonic ---------------------------------------------------------------------

    @staticmethod
    def _mnemonic(window: QWidget, latin: str) -> bool:
        from PySide6.QtCore import Qt

        if isinstance(window, QMainWindow) and window.menuWidget() is not None:
            bar = window.menuBar()
            for action in bar.actions():
                if action.isVisible() and action.isEnabled():
                    if mnemonic_key(action.text()) == latin and action.menu() is not None:
                        bar.setActiveAction(action)
                        return True
        for button in window.findChildren(QAbstractButton):
            if button.isVisible() and button.isEnabled() and mnemonic_key(button.text()) == latin:
                button.setFocus(Qt.FocusReason.ShortcutFocusReason)
                button.animateClick()
                return True
        for label in window.findChildren(QLabel):
            buddy = label.buddy()
            if label.isVisible() and buddy is not None and mnemonic_key(label.text()) == latin:
                buddy.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return True
        return False

    @staticmethod
    def _in_menu(menu: QMenu, event: QKeyEvent) -> bool:
        """A letter typed in an open menu picks the item whose mnemonic is on that key."""
        latin, translated = _event_key(event, windows=False)
        if latin is None or (not translated and _has_latin_mnemonics(menu)):
            return False  # Qt's own matching already had its chance with the same letter
        for action in menu.actions():
            if action.isVisible() and action.isEnabled() and mnemonic_key(action.text()) == latin:
                if action.menu() is not None:
                    menu.setActiveAction(action)
                else:
                    menu.hide()
                    action.trigger()
                return True
        return False


def _has_latin_mnemonics(menu: QMenu) -> bool:
    return any(
        (m := mnemonic(a.text())) is not None and "a" <= m.lower() <= "z" for a in menu.actions()
    )


def _window_actions(window: QWidget) -> list[QAction]:
    seen: dict[int, QAction] = {}
    for action in [*window.actions(), *window.findChildren(QAction)]:
        seen.setdefault(id(action), action)
    return list(seen.values())


_installed: list[AnyLayoutKeys] = []


def install_any_layout_keys(app: QApplication) -> AnyLayoutKeys:
    """Install the filter on ``app`` once (idempotent)."""
    if not _installed:
        keys = AnyLayoutKeys(app)
        app.installEventFilter(keys)
        _installed.append(keys)
    return _installed[0]


__all__ = [
    "PERSIAN_KEYS",
    "AnyLayoutKeys",
    "install_any_layout_keys",
    "key_of",
    "mnemonic",
    "mnemonic_key",
]
