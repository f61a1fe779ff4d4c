"""One place that turns an exception into what the clerk sees.

User-facing → the message as is, in the clerk's language; cancelled →
nothing; anything else → logged with its trace and shown as a crash report
with the log file's location (it is a bug).
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

from rules.errors import Cancelled, UserFacingError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

log = logging.getLogger("pishkhan.ui")


def message_for(exc: BaseException, lang: str) -> str | None:
    """The text to show, or None for a silent cancel."""
    if isinstance(exc, Cancelled):
        return None
    if isinstance(exc, UserFacingError):
        return exc.message.text(lang)
    # Imported here: the login window (shown before the core is loaded) uses this module.
    from rules.catalog import ValidationFailed

    if isinstance(exc, ValidationFailed):
        lines = [m.text(lang) for m in exc.errors.values()]
        return "\n".join(lines)
    return None


def show_error(parent: QWidget | None, exc: BaseException, lang: str) -> None:
    # Imported here: the login window, shown before anything else loads, imports this module.
    from PySide6.QtWidgets import QMessageBox

    text = message_for(exc, lang)
    if isinstance(exc, Cancelled):
        return
    if text is not None:
        QMessageBox.warning(parent, "پیشخوان" if lang == "fa" else "Pishkhan", text)
        return
    log.error("unexpected error", exc_info=exc)
    trace = "".join(traceback.format_exception(exc))
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("پیشخوان" if lang == "fa" else "Pishkhan")
    box.setText(
        "خطای پیش‌بینی‌نشده‌ای رخ داد. کار ذخیره‌شده از دست نرفته است؛ جزئیات در پروندهٔ گزارش ثبت شد."
        if lang == "fa"
        else "An unexpected error occurred. Saved work is safe; details were written to the log."
    )
    box.setDetailedText(trace)
    box.exec()
