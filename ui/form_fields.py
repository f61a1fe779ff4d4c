"""One editor widget per catalogue field type, for the generated request form.

Every editor gives back the text as the clerk typed it (either digit set):
validation and normalisation are the core's (``Intake.validate``), so the
form and the central server judge a value by the same rules.

Jalali dates are a line edit plus a popup Jalali calendar rather than a
``QDateEdit``: a date edit cannot be empty (an optional birth date would get a
value nobody typed), and in the Persian locale it silently misreads typed
dates ("1399/2/3" became 1399/05/23 in our trials), while the core's parser
takes "1403/05/12", "1403-5-12", "14030512" in either digit set.
"""

from __future__ import annotations

from PySide6.QtCore import QCalendar, QDate, QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QTextCharFormat
from PySide6.QtWidgets import (
    QCalendarWidget,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from desktop.clock import TEHRAN, utc_now
from rules import validation as v
from rules.catalog import Field, FieldType
from rules.normalize import normalize_identifier, to_ascii_digits
from ui.date_entry import expand_short_date, is_short_date
from ui.theme import (
    RED,
    calendar_icon,
    digits,
    format_number,
    layout_direction,
    locale_for,
    set_flag,
    set_role,
)

JALALI = QCalendar(QCalendar.System.Jalali)

# Identifiers of a fixed number of digits: the focus moves on by itself once they are
# all typed (issue 14: a 10-digit national code, an 11-digit mobile).
FULL_DIGITS: dict[FieldType, int] = {
    FieldType.NATIONAL_CODE: 10,
    FieldType.MOBILE: 11,
    FieldType.POSTAL_CODE: 10,
    FieldType.BANK_CARD: 16,
}
# Fields whose digits are shown in the clerk's digit set whichever keyboard typed them
# (the core stores ASCII digits). Free text keeps digits as typed; a Sheba reads Latin.
_SHOWN_IN_CLERKS_DIGITS = frozenset(
    {
        FieldType.NATIONAL_CODE,
        FieldType.MOBILE,
        FieldType.POSTAL_CODE,
        FieldType.BANK_CARD,
        FieldType.NUMBER,
        FieldType.MONEY,
    }
)


def show_digits_as_typed(edit: QLineEdit, lang: str) -> None:
    """Latin digits typed into ``edit`` are shown as Persian ones in a Persian form (the
    cursor stays where it was): dates and money turned Persian, identifiers did not."""
    text = edit.text()
    shown = digits(text, lang)
    if shown != text:
        cursor = edit.cursorPosition()
        edit.setText(shown)
        edit.setCursorPosition(cursor)


# Long enough for identifiers pasted with spaces, dashes or direction marks.
_IDENTIFIER_MAX = 48
_PLACEHOLDERS: dict[FieldType, str] = {
    FieldType.NATIONAL_CODE: "0012345678",
    FieldType.MOBILE: "09121234567",
    FieldType.POSTAL_CODE: "1234567890",
    FieldType.SHEBA: "IR000000000000000000000000",
    FieldType.BANK_CARD: "6037990000000000",
    FieldType.JALALI_DATE: "1403/05/12",
}


class FieldEditor(QObject):
    """The widget for one field, and its value as text."""

    changed = Signal()
    #: The clerk typed the last character the field can take: the form moves on.
    completed = Signal()

    def __init__(self, field: Field, lang: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.field = field
        self.lang = lang
        self.widget: QWidget = parent
        self.focus_widget: QWidget = parent

    def value(self) -> str:
        raise NotImplementedError

    def set_value(self, text: str) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.set_value("")

    def set_invalid(self, invalid: bool) -> None:
        set_flag(self.focus_widget, "invalid", invalid)


class LineEditor(FieldEditor):
    """Free text, identifiers, numbers and money in a line edit."""

    def __init__(self, field: Field, lang: str, parent: QWidget) -> None:
        super().__init__(field, lang, parent)
        self.edit = QLineEdit(parent)
        self.widget = self.focus_widget = self.edit
        ftype = field.type
        if ftype is FieldType.TEXT:
            self.edit.setMaxLength((field.max_length or 200) + 20)
        else:
            self.edit.setMaxLength(_IDENTIFIER_MAX)
        if ftype in _PLACEHOLDERS:
            self.edit.setPlaceholderText(digits(_PLACEHOLDERS[ftype], lang))
        if ftype is FieldType.SHEBA:
            # Latin letters and digits read left to right wherever the form is.
            self.edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.edit.textChanged.connect(self.changed)
        self.edit.textEdited.connect(self._typed)
        if ftype is FieldType.MONEY:
            self.edit.editingFinished.connect(self._group_money)

    def _typed(self, _text: str) -> None:
        """Only the clerk's typing (not ``set_value``): digits shown, and full means done."""
        ftype = self.field.type
        if ftype in _SHOWN_IN_CLERKS_DIGITS:
            show_digits_as_typed(self.edit, self.lang)
        wanted = FULL_DIGITS.get(ftype)
        text = self.edit.text()
        if wanted is None or self.edit.cursorPosition() != len(text):
            return
        typed = normalize_identifier(text)
        if typed.isdigit() and len(typed) == wanted:
            self.completed.emit()

    def value(self) -> str:
        return self.edit.text()

    def set_value(self, text: str) -> None:
        shown = digits(text, self.lang) if self.field.type is not FieldType.TEXT else text
        self.edit.setText(shown)
        if self.field.type is FieldType.MONEY:
            self._group_money()

    def _group_money(self) -> None:
        """Show a typed amount grouped by thousands (the core accepts the separators back)."""
        try:
            amount = v.check_money(self.edit.text())
        except v.FieldError:
            return
        self.edit.setText(format_number(amount, self.lang))


# A digit key picks that entry of a short list (and the form moves on): one key, where
# a first letter shared by several entries ("ا" of استخدام, اخذ, ارائه) needs a second.
_NUMBERED_CHOICES = 9


class ChoiceEditor(FieldEditor):
    """A fixed list; the first entry is "not chosen" so a required choice is a real decision.

    Entries show their number (up to nine): typing it, in either digit set, picks the
    entry and moves on; letters still find an entry by its first letters, as in any list.
    """

    def __init__(self, field: Field, lang: str, parent: QWidget) -> None:
        super().__init__(field, lang, parent)
        self.combo = QComboBox(parent)
        self.widget = self.focus_widget = self.combo
        self.combo.addItem("—", "")
        numbered = len(field.choices) <= _NUMBERED_CHOICES
        for number, choice in enumerate(field.choices, start=1):
            label = choice.label.text(lang)
            if numbered:
                # After the label, so type-to-find by first letters still works.
                label = f"{label} ({digits(str(number), lang)})"
            self.combo.addItem(label, choice.value)
        self.combo.currentIndexChanged.connect(self.changed)
        if numbered:
            self.combo.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress:
            held = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
            if event.modifiers() & held:
                return False
            typed = to_ascii_digits(event.text())
            if len(typed) == 1 and typed.isdigit() and 1 <= int(typed) < self.combo.count():
                self.combo.setCurrentIndex(int(typed))
                self.combo.hidePopup()
                self.completed.emit()
                return True
        return False

    def value(self) -> str:
        return str(self.combo.currentData() or "")

    def set_value(self, text: str) -> None:
        index = self.combo.findData(text)
        self.combo.setCurrentIndex(max(index, 0))


class JalaliCalendar(QCalendarWidget):
    """Jalali month view, week from Saturday, Friday as the weekend."""

    def __init__(self, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendar(JALALI)
        self.setLocale(locale_for(lang))
        self.setFirstDayOfWeek(Qt.DayOfWeek.Saturday)
        # The month reads in the language's direction (Saturday on the right in Persian),
        # whatever the widget it pops up from: date fields themselves are left to right.
        self.setLayoutDirection(layout_direction(lang))
        self.setGridVisible(False)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        plain = QTextCharFormat()
        weekend = QTextCharFormat()
        weekend.setForeground(QColor(RED))
        # Qt marks Saturday and Sunday by default; in Iran only Friday is the weekend.
        for day in (Qt.DayOfWeek.Saturday, Qt.DayOfWeek.Sunday):
            self.setWeekdayTextFormat(day, plain)
        self.setWeekdayTextFormat(Qt.DayOfWeek.Friday, weekend)


def jalali_text(date: QDate) -> str:
    """A QDate as Jalali "yyyy/MM/dd" with ASCII digits."""
    parts = JALALI.partsFromDate(date)
    return f"{parts.year:04d}/{parts.month:02d}/{parts.day:02d}"


class DateEditor(FieldEditor):
    """A Jalali date: typed (either digit set, with or without slashes) or picked."""

    def __init__(self, field: Field, lang: str, parent: QWidget) -> None:
        super().__init__(field, lang, parent)
        box = QWidget(parent)
        # FACTS: dates read left to right even in a right-to-left form.
        box.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.edit = QLineEdit(box)
        self.edit.setMaxLength(16)
        self.edit.setPlaceholderText(digits(_PLACEHOLDERS[FieldType.JALALI_DATE], lang))
        self.edit.textChanged.connect(self.changed)
        self.edit.textEdited.connect(self._typed)
        self.edit.editingFinished.connect(self._tidy)
        self.button = QToolButton(box)
        self.button.setIcon(calendar_icon())
        self.button.setAutoRaise(True)
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.button.setToolTip(self.tr("Pick from the calendar (Alt+Down)"))
        self.button.clicked.connect(self.show_calendar)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.widget = box
        self.focus_widget = self.edit
        self.edit.installEventFilter(self)
        self._menu: QMenu | None = None

    def eventFilter(self, watched: QObject, event: object) -> bool:
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and event.modifiers() & Qt.KeyboardModifier.AltModifier
        ):
            self.show_calendar()
            return True
        return False

    def value(self) -> str:
        # A two-digit year saved before the field was left (Ctrl+S) is read as shown next.
        return self._expanded() or self.edit.text()

    def set_value(self, text: str) -> None:
        self.edit.setText(digits(text, self.lang))

    def _expanded(self) -> str | None:
        """The full date a two-digit-year entry ("700512", "70/5/12") stands for."""
        today = utc_now().astimezone(TEHRAN).date()
        return expand_short_date(self.edit.text(), today=today, past_only=self.field.past_only)

    def _typed(self, _text: str) -> None:
        show_digits_as_typed(self.edit, self.lang)
        text = self.edit.text()
        if self.edit.cursorPosition() != len(text):
            return
        # Six digits with a two-digit year (700512): shown in full, and the date is done.
        flat = to_ascii_digits(text)
        if flat.isdigit() and len(flat) == 6 and is_short_date(flat):
            full = self._expanded()
            if full is not None:
                self.edit.setText(digits(full, self.lang))
                self.completed.emit()
            return
        # Eight digits (14030512, 1403/05/12) that make a date: the date is complete.
        if sum(ch.isdigit() for ch in text) == 8 and self.current_date() is not None:
            self.completed.emit()

    def current_date(self) -> QDate | None:
        try:
            day, _ = v.parse_jalali_date(self.value())
        except v.FieldError:
            return None
        return QDate(day.year, day.month, day.day)

    def _tidy(self) -> None:
        """Show a date the parser understood in its canonical form, in the clerk's digits."""
        try:
            _, canonical = v.parse_jalali_date(self.value())
        except v.FieldError:
            return
        shown = digits(canonical, self.lang)
        if shown != self.edit.text():
            self.edit.setText(shown)

    def show_calendar(self) -> None:
        calendar = JalaliCalendar(self.lang)
        current = self.current_date()
        # On an empty field the day marked is the day Enter picks: today.
        calendar.setSelectedDate(current if current is not None else QDate.currentDate())
        menu = QMenu(self.widget)
        action = QWidgetAction(menu)
        action.setDefaultWidget(calendar)
        menu.addAction(action)

        def picked(date: QDate) -> None:
            self.edit.setText(digits(jalali_text(date), self.lang))
            menu.close()
            self.edit.setFocus()

        calendar.activated.connect(picked)
        calendar.clicked.connect(picked)
        self._menu = menu
        calendar.setFocus()
        menu.popup(self.edit.mapToGlobal(QPoint(0, self.edit.height())))


# Fields whose text is long enough to take a whole row of the grid.
_WIDE_TEXT = 100


class FieldCell(QWidget):
    """Label, editor, optional help and the field's error, stacked."""

    def __init__(self, editor: FieldEditor, lang: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.editor = editor
        field = editor.field
        text = field.label.text(lang) + (" *" if field.required else "")
        self.label = QLabel(text, self)
        self.label.setBuddy(editor.focus_widget)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setObjectName(f"error_{field.key}")
        set_role(self.error, "error")
        self.error.hide()
        self.note: QLabel | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(2)
        layout.addWidget(self.label)
        editor.widget.setParent(self)
        layout.addWidget(editor.widget)
        if field.help is not None:
            help_label = QLabel(field.help.text(lang), self)
            help_label.setWordWrap(True)
            set_role(help_label, "help")
            layout.addWidget(help_label)
        layout.addWidget(self.error)

    def show_note(self, text: str | None) -> None:
        """A line under the field saying where its value came from (a suggestion)."""
        if self.note is None:
            self.note = QLabel(self)
            self.note.setObjectName(f"note_{self.editor.field.key}")
            self.note.setWordWrap(True)
            set_role(self.note, "note")
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(layout.indexOf(self.error), self.note)
        self.note.setText(text or "")
        self.note.setVisible(bool(text))

    def show_error(self, text: str | None) -> None:
        self.error.setText(text or "")
        self.error.setVisible(bool(text))
        self.editor.set_invalid(bool(text))


def place_cells(cells: list[FieldCell], group: QGroupBox, first_row: int = 0) -> None:
    """Two cells a row in the group's grid; long free text takes a whole row."""
    grid = group.layout()
    assert isinstance(grid, QGridLayout)
    row, col = first_row, 0
    for cell in cells:
        field = cell.editor.field
        wide = field.type is FieldType.TEXT and (field.max_length or 200) > _WIDE_TEXT
        if wide and col == 1:
            row, col = row + 1, 0
        grid.addWidget(cell, row, col, 1, 2 if wide else 1, Qt.AlignmentFlag.AlignTop)
        if wide or col == 1:
            row, col = row + 1, 0
        else:
            col = 1


def make_editor(field: Field, lang: str, parent: QWidget) -> FieldEditor:
    if field.type is FieldType.CHOICE:
        return ChoiceEditor(field, lang, parent)
    if field.type is FieldType.JALALI_DATE:
        return DateEditor(field, lang, parent)
    return LineEditor(field, lang, parent)
