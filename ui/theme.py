"""The look of the program and how numbers, money and times appear on screen.

Owns: finding bundled resources (source tree or PyInstaller bundle), loading
Vazirmatn, the palette and style sheet, table row heights from font metrics,
and every formatter that turns a value into on-screen text (Persian digits,
thousands separators, Jalali dates in Tehran time). Other UI modules format
through these functions so that the whole program shows numbers one way.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import QtCore
from PySide6.QtCore import QLocale
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetrics,
    QIcon,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QPushButton,
    QWidget,
)

from rules.bidi import ltr
from rules.normalize import to_persian_digits

if TYPE_CHECKING:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QAbstractItemView

# This module is on the way to the login window, shown before anything else loads:
# Qt's ``Qt`` namespace (about a hundred enums, ~30 ms to build in PySide6) and the
# item-view and painter classes are reached inside the functions that need them.

FONT_FAMILY = "Vazirmatn"
FONT_FILES = ("Vazirmatn-Regular.ttf", "Vazirmatn-Medium.ttf", "Vazirmatn-Bold.ttf")
BASE_POINT_SIZE = 10

# A calm palette: teal of the application icon for actions, warm amber for "waiting",
# muted red only for what needs the clerk's attention.
TEAL = "#0f6f64"
TEAL_DARK = "#0b5a51"
TEAL_LIGHT = "#e3f1ef"
AMBER = "#b7791f"
AMBER_LIGHT = "#fdf3e1"
RED = "#b42318"
RED_LIGHT = "#fdecea"
GREEN = "#1e7b45"
GREEN_LIGHT = "#e6f4ea"
INK = "#1f2933"
MUTED = "#5f6b76"
WINDOW = "#f4f6f7"
BORDER = "#cfd6dc"
# The keyboard's place: a 2 px ring in a blue no other state uses (issue 14, item 1: a
# 1 px teal border on a button was nearly invisible). On the teal primary button the
# ring is light, or it would vanish into the fill.
FOCUS = "#1d4ed8"
FOCUS_LIGHT = "#e0e9ff"
FOCUS_ON_DARK = "#ffd54a"


def resource_path(*parts: str) -> Path:
    """A bundled resource: inside the PyInstaller bundle when frozen, else in the source tree.

    ``resource_path("fonts", "Vazirmatn-Regular.ttf")`` → ``<root>/resources/fonts/...``.
    """
    bundle = getattr(sys, "_MEIPASS", None)
    root = Path(bundle) if bundle is not None else Path(__file__).resolve().parents[1]
    return root.joinpath("resources", *parts)


def load_fonts() -> str | None:
    """Register the bundled Vazirmatn faces; returns the family name, or None if missing."""
    family: str | None = None
    for name in FONT_FILES:
        path = resource_path("fonts", name)
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0 and family is None:
            families = QFontDatabase.applicationFontFamilies(font_id)
            family = families[0] if families else None
    return family


def app_font(point_size: int = BASE_POINT_SIZE) -> QFont:
    font = QFont(FONT_FAMILY, point_size)
    font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
    return font


def heading_font(base: QFont, *, grow: int = 3, bold: bool = True) -> QFont:
    font = QFont(base)
    font.setPointSize(max(base.pointSize(), 1) + grow)
    font.setWeight(QFont.Weight.Bold if bold else QFont.Weight.Medium)
    return font


def palette() -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    p.setColor(role.Window, QColor(WINDOW))
    p.setColor(role.WindowText, QColor(INK))
    p.setColor(role.Base, QColor("#ffffff"))
    p.setColor(role.AlternateBase, QColor("#f7f9fa"))
    p.setColor(role.Text, QColor(INK))
    p.setColor(role.Button, QColor("#ffffff"))
    p.setColor(role.ButtonText, QColor(INK))
    p.setColor(role.Highlight, QColor(TEAL))
    p.setColor(role.HighlightedText, QColor("#ffffff"))
    p.setColor(role.ToolTipBase, QColor("#ffffff"))
    p.setColor(role.ToolTipText, QColor(INK))
    p.setColor(role.PlaceholderText, QColor("#8a949d"))
    p.setColor(role.Link, QColor(TEAL))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.Text, role.WindowText, role.ButtonText):
        p.setColor(disabled, r, QColor("#9aa3ab"))
    return p


_STYLE_SHEET = """
QMainWindow, QDialog {{ background: {WINDOW}; }}
QToolBar {{ background: #ffffff; border: none; border-bottom: 1px solid {BORDER};
           spacing: 4px; padding: 2px 6px; }}
QToolBar QToolButton {{ padding: 4px 10px; border-radius: 4px; color: {INK}; }}
QToolBar QToolButton:hover {{ background: {TEAL_LIGHT}; }}
QLineEdit, QPlainTextEdit {{ border: 1px solid {BORDER}; border-radius: 4px;
           padding: 3px 6px; background: #ffffff; selection-background-color: {TEAL}; }}
QLineEdit:focus, QPlainTextEdit:focus {{ border: 2px solid {FOCUS}; padding: 2px 5px; }}
QLineEdit[invalid="true"] {{ border: 1px solid {RED}; background: #fffafa; }}
QLineEdit[invalid="true"]:focus {{ border: 2px solid {RED}; padding: 2px 5px; }}
QComboBox, QAbstractSpinBox {{ border: 1px solid {BORDER}; border-radius: 4px;
           padding: 3px 6px; background: #ffffff; }}
QComboBox:focus, QAbstractSpinBox:focus {{ border: 2px solid {FOCUS}; padding: 2px 5px; }}
QComboBox[invalid="true"] {{ border: 1px solid {RED}; }}
QComboBox[invalid="true"]:focus {{ border: 2px solid {RED}; }}
QPushButton {{ border: 1px solid {BORDER}; border-radius: 4px; padding: 5px 14px;
           background: #ffffff; }}
QPushButton:hover {{ border-color: {TEAL}; }}
QPushButton:focus {{ border: 2px solid {FOCUS}; padding: 4px 13px; background: {FOCUS_LIGHT}; }}
QPushButton[primary="true"] {{ background: {TEAL}; color: #ffffff; border-color: {TEAL};
           font-weight: bold; }}
QPushButton[primary="true"]:hover {{ background: {TEAL_DARK}; }}
QPushButton[primary="true"]:focus {{ border: 2px solid {FOCUS_ON_DARK}; background: {TEAL_DARK};
           padding: 4px 13px; }}
QPushButton[primary="true"]:disabled {{ background: #9fbfba; border-color: #9fbfba; }}
QCheckBox, QRadioButton {{ padding: 2px 4px; border: 2px solid transparent;
           border-radius: 4px; }}
QCheckBox:focus, QRadioButton:focus {{ border: 2px solid {FOCUS}; background: {FOCUS_LIGHT}; }}
QToolButton:focus {{ border: 2px solid {FOCUS}; border-radius: 4px; background: {FOCUS_LIGHT}; }}
QAbstractItemView {{ border: 1px solid {BORDER}; }}
QAbstractItemView:focus {{ border: 2px solid {FOCUS}; }}
QTabBar::tab:selected:focus {{ border: 2px solid {FOCUS}; background: {FOCUS_LIGHT}; }}
QGroupBox {{ background: #ffffff; border: 1px solid {BORDER}; border-radius: 6px;
           margin-top: 14px; padding: 10px 8px 8px 8px; font-weight: bold; }}
QGroupBox::title {{ subcontrol-origin: margin; subcontrol-position: top left;
           padding: 0 6px; left: 10px; color: {TEAL_DARK}; }}
QTabWidget::pane {{ border: 1px solid {BORDER}; border-radius: 4px; background: #ffffff; }}
QTabBar::tab {{ padding: 6px 18px; border: 1px solid transparent; }}
QTabBar::tab:selected {{ background: #ffffff; border: 1px solid {BORDER};
           border-bottom-color: #ffffff; color: {TEAL_DARK}; font-weight: bold; }}
QStatusBar {{ background: #ffffff; border-top: 1px solid {BORDER}; color: {MUTED}; }}
QStatusBar QLabel {{ padding: 0 8px; }}
QLabel[role="error"] {{ color: {RED}; }}
QLabel[role="help"] {{ color: {MUTED}; }}
QLabel[role="summary"] {{ color: {RED}; background: {RED_LIGHT}; border: 1px solid #f1b8b2;
           border-radius: 6px; padding: 6px 10px; font-weight: bold; }}
QLabel[role="note"] {{ color: {TEAL_DARK}; background: {TEAL_LIGHT}; border-radius: 4px;
           padding: 4px 8px; }}
QLabel[role="heading"] {{ color: {TEAL_DARK}; }}
QListWidget {{ border: 1px solid {BORDER}; border-radius: 4px; background: #ffffff; }}
QListWidget:focus {{ border: 2px solid {FOCUS}; }}
QListWidget::item {{ padding: 4px 6px; border-bottom: 1px solid #eef1f3; }}
QListWidget::item:selected {{ background: {TEAL}; color: #ffffff; }}
QHeaderView::section {{ background: #eef2f3; border: none; border-bottom: 1px solid {BORDER};
           padding: 4px 6px; font-weight: bold; }}
QScrollArea {{ border: none; background: transparent; }}
"""


def style_sheet(lang: str) -> str:
    """The application's style sheet (Qt mirrors "left" in right-to-left layouts)."""
    sheet = _STYLE_SHEET.format(
        INK=INK,
        BORDER=BORDER,
        TEAL=TEAL,
        TEAL_DARK=TEAL_DARK,
        TEAL_LIGHT=TEAL_LIGHT,
        RED=RED,
        RED_LIGHT=RED_LIGHT,
        MUTED=MUTED,
        WINDOW=WINDOW,
        FOCUS=FOCUS,
        FOCUS_LIGHT=FOCUS_LIGHT,
        FOCUS_ON_DARK=FOCUS_ON_DARK,
    )
    extra = resource_path("style.qss")
    if extra.is_file():
        sheet += "\n" + extra.read_text(encoding="utf-8")
    return sheet


def apply_theme(app: QApplication, lang: str = "fa") -> None:
    """Fusion, our palette and style sheet, Vazirmatn (if bundled) as the application font."""
    app.setStyle("Fusion")
    family = load_fonts()
    if family is not None:
        app.setFont(app_font())
    app.setPalette(palette())
    app.setStyleSheet(style_sheet(lang))


def isolate(text: str, lang: str) -> str:
    """Text that mixes scripts, led by a mark of the language's direction.

    A label takes its direction from its first strong letter: an English sentence that
    begins with a Persian office name would otherwise be laid out right to left.
    """
    return ("\u200f" if lang == "fa" else "\u200e") + text


def calendar_icon(size: int = 18, colour: str = TEAL) -> QIcon:
    """A small month-page glyph, drawn (no image plugin or file needed)."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QPainter, QPen

    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x, crisp on high-DPI screens
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size * 2
    pen = QPen(QColor(colour), s / 12)
    painter.setPen(pen)
    painter.drawRoundedRect(QRectF(s * 0.12, s * 0.2, s * 0.76, s * 0.68), s * 0.08, s * 0.08)
    painter.fillRect(QRectF(s * 0.12, s * 0.2, s * 0.76, s * 0.16), QColor(colour))
    for x in (0.32, 0.68):
        painter.drawLine(QPointF(s * x, s * 0.1), QPointF(s * x, s * 0.28))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    for row in (0.5, 0.7):
        for col in (0.3, 0.5, 0.7):
            painter.drawEllipse(QPointF(s * col, s * row), s * 0.045, s * 0.045)
    painter.end()
    pixmap.setDevicePixelRatio(2)
    return QIcon(pixmap)


def row_height(font: QFont, *, padding: int = 10) -> int:
    """A table row tall enough for Vazirmatn's tall line (FACTS: it clips at Qt's default)."""
    return QFontMetrics(font).height() + padding


def configure_table(view: QAbstractItemView, *, padding: int = 10) -> None:
    """Fixed row height from the font: no clipping, and no per-row measuring on big models."""
    from PySide6.QtWidgets import QHeaderView

    # Tab leaves a table; arrows move between its cells (issue 14, item 1: Tab went
    # from cell to cell and never reached the buttons below).
    view.setTabKeyNavigation(False)
    header = getattr(view, "verticalHeader", None)
    if header is None:
        return
    vh: QHeaderView = header()
    height = row_height(view.font(), padding=padding)
    vh.setMinimumSectionSize(height)
    vh.setDefaultSectionSize(height)
    vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)


_tab_filter: QtCore.QObject | None = None


def tab_leaves(widget: QWidget) -> None:
    """Tab (Shift+Tab) moves to the next (previous) control, as everywhere else.

    A ``QDateEdit`` spends Tab on its own day, month and year sections first: three
    presses to leave a date (issue 14, item 1). Its sections stay reachable with the
    arrow keys and by typing.
    """
    global _tab_filter
    if _tab_filter is None:
        _tab_filter = _TabLeaves()
    widget.installEventFilter(_tab_filter)


class _TabLeaves(QtCore.QObject):
    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        from PySide6.QtCore import QEvent, Qt
        from PySide6.QtGui import QKeyEvent
        from PySide6.QtWidgets import QApplication

        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
            and not event.modifiers()
            & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
            and isinstance(watched, QWidget)
        ):
            parent = watched.parentWidget()
            if parent is not None:
                # The parent's own handling of Tab moves the focus along the window's chain.
                QApplication.sendEvent(parent, event)
                return True
        return False


def set_role(widget: QWidget, role: str, *, restyle: bool = True) -> None:
    """Give a label a style role from the sheet above ("error", "help", "note", "heading").

    ``restyle=False`` for a widget just made and not shown yet: its first polish (when
    it is shown) reads the role anyway. The login window uses it: PySide6 builds ~90
    enum types the first time Python calls ``QStyle.polish``, about 30 ms that would
    come before the first window instead of after it.
    """
    widget.setProperty("role", role)
    if restyle:
        _restyle(widget)


def set_flag(widget: QWidget, name: str, value: bool, *, restyle: bool = True) -> None:
    """Set a boolean style property ("invalid", "primary") and re-apply the style sheet."""
    widget.setProperty(name, value)
    if restyle:
        _restyle(widget)


def _restyle(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def dialog_buttons(
    dialog: QDialog, primary_text: str, object_name: str, quit_text: str
) -> tuple[QHBoxLayout, QPushButton]:
    """The row at the foot of the start-up dialogs: Quit, then the primary action (default).

    Returns the row and the primary button; the caller connects the button's ``clicked``.
    """
    primary = QPushButton(primary_text, dialog)
    primary.setObjectName(object_name)
    set_flag(primary, "primary", True, restyle=False)  # made here, not shown yet
    primary.setDefault(True)
    quit_button = QPushButton(quit_text, dialog)
    quit_button.setAutoDefault(False)
    quit_button.clicked.connect(dialog.reject)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(quit_button)
    row.addWidget(primary)
    return row, primary


def action_buttons(
    parent: QWidget, actions: Sequence[tuple[str, str, Callable[[], object]]], prefix: str
) -> tuple[QHBoxLayout, dict[str, QPushButton]]:
    """A row of plain buttons, ``(key, text, action)`` each, named ``<prefix>_<key>``; none is
    a default one, so Enter in the widget beside them does what that widget does."""
    row = QHBoxLayout()
    buttons: dict[str, QPushButton] = {}
    for key, text, action in actions:
        button = QPushButton(text, parent)
        button.setObjectName(f"{prefix}_{key}")
        button.setAutoDefault(False)
        button.clicked.connect(action)
        buttons[key] = button
        row.addWidget(button)
    return row, buttons


# --- On-screen text for values -------------------------------------------------------------


def locale_for(lang: str) -> QLocale:
    if lang == "fa":
        return QLocale(QLocale.Language.Persian, QLocale.Country.Iran)
    return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)


def layout_direction(lang: str) -> Qt.LayoutDirection:
    """For a widget that must not follow the application (whose direction Qt takes from
    the translation of "QT_LAYOUT_DIRECTION", see ui/i18n.py)."""
    direction = QtCore.Qt.LayoutDirection
    return direction.RightToLeft if lang == "fa" else direction.LeftToRight


def digits(text: str, lang: str) -> str:
    """Show ASCII digits in ``text`` as Persian digits when the language is Persian."""
    return to_persian_digits(text) if lang == "fa" else text


def identifier(text: str, lang: str) -> str:
    """A reference, tracking code, card number, mobile, Sheba or national code as shown:
    the language's digits, isolated left to right (``rules.bidi``) so a Persian sentence
    around it cannot reorder its groups."""
    return ltr(digits(text, lang))


def format_number(value: int, lang: str) -> str:
    """An integer with the language's digits and thousands separator (۱۲٬۳۴۵ / 12,345)."""
    return locale_for(lang).toString(int(value))


def format_money(rials: int, lang: str) -> str:
    """An amount in rials: «۱۲۰٬۰۰۰ ریال» / "120,000 rials"."""
    amount = format_number(rials, lang)
    return f"{amount} ریال" if lang == "fa" else f"{amount} rials"


def format_jalali_date(day: dt.date, lang: str) -> str:
    """A Gregorian date as Jalali yyyy/mm/dd (the office's calendar in both languages)."""
    import jdatetime  # here, not at the top: the login window is shown without it

    j = jdatetime.date.fromgregorian(date=day)
    return digits(f"{j.year:04d}/{j.month:02d}/{j.day:02d}", lang)


def format_jalali_datetime(moment: dt.datetime, lang: str, *, seconds: bool = False) -> str:
    """A UTC moment as Tehran time in the Jalali calendar: «۱۴۰۵/۰۹/۰۶ ۱۴:۳۵»."""
    import jdatetime

    from desktop.clock import to_local

    local = to_local(moment)
    j = jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None))
    text = f"{j.year:04d}/{j.month:02d}/{j.day:02d} {j.hour:02d}:{j.minute:02d}"
    if seconds:
        text += f":{j.second:02d}"
    return digits(text, lang)


def format_time(moment: dt.datetime, lang: str) -> str:
    """Tehran wall-clock time «۱۴:۳۵» of a UTC moment."""
    from desktop.clock import to_local

    local = to_local(moment)
    return digits(f"{local.hour:02d}:{local.minute:02d}", lang)


def format_age(age: dt.timedelta, lang: str) -> str:
    """How long ago, in words a clerk reads at a glance: «۳ ساعت» / "3 hours"."""
    minutes = max(int(age.total_seconds() // 60), 0)
    if minutes < 1:
        return "کمتر از یک دقیقه" if lang == "fa" else "less than a minute"
    if minutes < 60:
        unit = ("دقیقه", "minute")
        count = minutes
    elif minutes < 48 * 60:
        unit = ("ساعت", "hour")
        count = minutes // 60
    else:
        unit = ("روز", "day")
        count = minutes // (24 * 60)
    if lang == "fa":
        return f"{format_number(count, lang)} {unit[0]}"
    return f"{count} {unit[1]}" + ("s" if count != 1 else "")
