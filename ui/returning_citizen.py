"""A returning citizen: once the national code is complete and valid, offer what they gave last.

The name, mobile and address of the citizen's latest request fill only the
fields the clerk left empty (never overwriting what was typed), with a note
saying so. When the national code then changes, suggestions the clerk did not
touch are taken back, so one citizen's details never stay on another's form.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from desktop.intake import ApplicantHint
from rules import validation as v
from rules.normalize import normalize_identifier
from ui.context import AppContext
from ui.form_fields import FieldCell

log = logging.getLogger("pishkhan.ui")

OFFERED = ("first_name", "last_name", "mobile", "address")


class ReturningCitizen(QObject):
    """Watches the applicant block of a form; looks up on the worker thread."""

    #: Fields were filled from the citizen's last request (``filled_keys()`` says which).
    filled = Signal()

    def __init__(
        self,
        ctx: AppContext,
        cells: Mapping[str, FieldCell],
        note: QLabel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._cells = cells
        self._note = note
        self._paused = False
        self._filled: dict[str, str] = {}  # field → the value we put there
        self._looked_up = ""  # the national code last looked up
        cells["national_code"].editor.changed.connect(self._code_changed)
        for key in OFFERED:
            cells[key].editor.changed.connect(self._edited)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """The form fills or clears fields itself: no lookups, no bookkeeping."""
        self._paused = True
        try:
            yield
        finally:
            self._paused = False

    def reset(self, *, known: str = "") -> None:
        """Forget suggestions (after a clear); ``known``: a code not to look up again."""
        self._filled.clear()
        self._looked_up = known
        self._note.hide()

    def _code(self) -> str:
        return normalize_identifier(self._cells["national_code"].editor.value())

    def _code_changed(self) -> None:
        if self._paused:
            return
        code = self._code()
        if code != self._looked_up:
            self._withdraw()
        if len(code) != 10 or not v.national_code_is_valid(code) or code == self._looked_up:
            return
        self._looked_up = code
        intake = self._ctx.intake
        self._ctx.worker.submit(
            lambda: intake.returning_applicant(code),
            lambda hint: self._offer(code, hint),
            lambda exc: log.warning("returning applicant lookup failed: %s", exc),
        )

    def _offer(self, code: str, hint: ApplicantHint | None) -> None:
        if hint is None or self._code() != code:
            return
        filled: list[str] = []
        with self.paused():
            for key in OFFERED:
                value = getattr(hint, key)
                editor = self._cells[key].editor
                if value and not editor.value().strip():
                    editor.set_value(value)
                    self._filled[key] = editor.value()
                    filled.append(editor.field.label.text(self._lang))
        if filled:
            self.filled.emit()
            sep = "، " if self._lang == "fa" else ", "
            self._note.setText(
                self.tr(
                    "Returning citizen: %1 filled in from their last request. "
                    "Check them with the citizen."
                ).replace("%1", sep.join(filled))
            )
            self._note.show()

    def filled_keys(self) -> frozenset[str]:
        """The applicant fields holding a suggestion the clerk has not changed."""
        return frozenset(self._filled)

    def _edited(self) -> None:
        if self._paused:
            return
        for key in list(self._filled):
            if self._cells[key].editor.value() != self._filled[key]:
                del self._filled[key]  # the clerk made it theirs

    def _withdraw(self) -> None:
        with self.paused():
            for key, value in self._filled.items():
                editor = self._cells[key].editor
                if editor.value() == value:
                    editor.clear()
        self.reset()
