"""The manager's settings for this PC: the receipt printer, the receipt's paper, and Ctrl+P.

Three settings of ``desktop.config`` that used to be changed only by editing
``settings.json``: ``printer_name`` (empty: the system's default printer),
``receipt_layout`` (``80mm`` roll or ``a5`` sheet) and ``receipt_print`` (what Ctrl+P
does: a ``preview`` first, ``direct`` to the printer, or the system's ``dialog``).

The system's printer list can take seconds (a network printer, a stuck spooler), so it
is read beside the GUI thread (``Worker.aside``) while the dialog is already usable; a
configured printer that is not (or no longer) in the list stays selectable, marked. The
settings are written on the worker (an atomic file write with fsync) and announced
(``SETTINGS_CHANGED``); a disk that refuses the write is said in plain words.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.changes import SETTINGS_CHANGED
from desktop.config import Settings
from rules.bidi import ltr
from rules.errors import UserFacingError
from rules.messages import Message
from ui.context import AppContext
from ui.errors import show_error
from ui.printing import PRINT_MODES, print_mode_setting, printer_names, receipt_layout_setting
from ui.printing_receipt import RECEIPT_LAYOUTS
from ui.theme import digits, heading_font, layout_direction, set_role

log = logging.getLogger("pishkhan.ui")


class SettingsNotSaved(UserFacingError):
    def __init__(self, reason: str) -> None:
        super().__init__(
            Message(
                fa=f"تنظیمات ذخیره نشد؛ فضای دیسک یا دسترسی به پوشهٔ داده را بررسی کنید. ({reason})",
                en=f"The settings were not saved; check the disk space and access to the data "
                f"folder. ({reason})",
            )
        )


def _write(settings: Settings, values: dict[str, str]) -> None:
    try:
        for name, value in values.items():
            settings.set(name, value)
    except OSError as exc:
        raise SettingsNotSaved(exc.strerror or type(exc).__name__) from exc


class SettingsDialog(QDialog):
    """Emits ``saved`` once the settings are on the disk."""

    saved = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self._ctx = ctx
        self._lang = lang = ctx.lang
        self.setLayoutDirection(layout_direction(lang))
        self.setWindowTitle(self.tr("Settings of this PC"))
        self.setMinimumWidth(520)
        self.printers_loaded = False

        title = QLabel(self.tr("Printing receipts"), self)
        title.setFont(heading_font(self.font(), grow=3))
        set_role(title, "heading")

        self.printer = QComboBox(self)
        self.printer.setObjectName("settingsPrinter")
        self.printer.addItem(self.tr("The system's default printer"), "")
        configured = str(ctx.settings.get("printer_name"))
        if configured:
            self.printer.addItem(configured, configured)
            self.printer.setCurrentIndex(1)
        self.printer_status = QLabel(self.tr("Looking for printers…"), self)
        self.printer_status.setObjectName("settingsPrinterStatus")
        set_role(self.printer_status, "help")

        self.layout_buttons: dict[str, QRadioButton] = {}
        self._layouts = QButtonGroup(self)
        layouts = QGroupBox(self.tr("Receipt paper"), self)
        layouts_box = QVBoxLayout(layouts)
        for key, spec in RECEIPT_LAYOUTS.items():
            button = QRadioButton(spec.title.text(lang), layouts)
            button.setObjectName(f"settingsLayout_{key}")
            self._layouts.addButton(button)
            layouts_box.addWidget(button)
            self.layout_buttons[key] = button
        self.layout_buttons[receipt_layout_setting(ctx)].setChecked(True)

        mode_texts = {
            "preview": self.tr("Show the receipt first; Enter prints it"),
            "direct": self.tr("Print at once on the printer above"),
            "dialog": self.tr("Open the system's print dialog"),
        }
        self.mode_buttons: dict[str, QRadioButton] = {}
        self._modes = QButtonGroup(self)
        modes = QGroupBox(self.tr("Ctrl+P and “Print receipt”"), self)
        modes_box = QVBoxLayout(modes)
        for mode in PRINT_MODES:
            button = QRadioButton(mode_texts[mode], modes)
            button.setObjectName(f"settingsMode_{mode}")
            self._modes.addButton(button)
            modes_box.addWidget(button)
            self.mode_buttons[mode] = button
        self.mode_buttons[print_mode_setting(ctx)].setChecked(True)

        form = QFormLayout()
        form.addRow(self.tr("Receipt printer"), self.printer)
        form.addRow("", self.printer_status)

        buttons = QDialogButtonBox(self)
        self.save_button = QPushButton(self.tr("Save"), self)
        self.save_button.setObjectName("settingsSave")
        self.save_button.setDefault(True)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.save_button.clicked.connect(self.save)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(layouts)
        layout.addWidget(modes)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.printer.setFocus()

        ctx.worker.aside(printer_names, self._printers_found, self._printers_failed)

    # --- the printer list -------------------------------------------------------------------

    def _printers_found(self, names: list[str]) -> None:
        current = self.printer.currentData()
        self.printer.clear()
        self.printer.addItem(self.tr("The system's default printer"), "")
        # Printer names are Latin ("HP LaserJet (Counter-2)"): isolated, or a Persian
        # line reorders their brackets and numbers (issue 14, item 4's kind).
        for name in names:
            self.printer.addItem(ltr(name), name)
        if current and current not in names:
            # Kept as it was set: a printer switched off still gets its receipts later.
            self.printer.addItem(self.tr("%1 (not found now)").replace("%1", ltr(current)), current)
        index = self.printer.findData(current)
        self.printer.setCurrentIndex(max(index, 0))
        if names:
            self.printer_status.setText(
                self.tr("Printers found: %1").replace("%1", digits(str(len(names)), self._lang))
            )
        else:
            self.printer_status.setText(
                self.tr("No printer is installed on this PC; receipts go to the system's default.")
            )
        self.printers_loaded = True

    def _printers_failed(self, exc: BaseException) -> None:
        log.warning("the printer list could not be read: %s", exc)
        self.printer_status.setText(self.tr("The printer list could not be read."))
        self.printers_loaded = True

    # --- saving ----------------------------------------------------------------------------

    def values(self) -> dict[str, str]:
        """The settings as chosen in the dialog."""
        layout = next(k for k, b in self.layout_buttons.items() if b.isChecked())
        mode = next(k for k, b in self.mode_buttons.items() if b.isChecked())
        return {
            "printer_name": str(self.printer.currentData() or ""),
            "receipt_layout": layout,
            "receipt_print": mode,
        }

    def save(self) -> None:
        settings, values = self._ctx.settings, self.values()
        self.save_button.setEnabled(False)
        self._ctx.worker.submit(
            lambda: _write(settings, values),
            self._saved,
            self._not_saved,
            changes=SETTINGS_CHANGED,
        )

    def _saved(self, _result: object) -> None:
        self.save_button.setEnabled(True)
        self.saved.emit()
        self.accept()

    def _not_saved(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        show_error(self, exc, self._lang)


__all__ = ["SettingsDialog", "SettingsNotSaved"]
