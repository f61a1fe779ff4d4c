"""A birth place suggested from the national code's place of issue (``rules.issuing_places``).

Once the national code is complete, a service's birth-place field that the clerk left
empty gets the town the code was issued in, with a note under it saying so. The focus
still stops there: Enter keeps the town (the field's text is selected, so typing a
letter replaces it). A suggestion the clerk did not touch follows the national code (a
new code, a new town or none); one the clerk edited is theirs.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject

from rules.catalog import FieldType
from rules.issuing_places import issuing_place
from ui.form_fields import FieldCell

# Fields of the catalogue that ask where the citizen was born.
PLACE_FIELDS = frozenset({"birth_place"})


class PlaceSuggestion(QObject):
    """Watches the national code cell; fills the service's birth-place cells."""

    def __init__(
        self,
        code_cell: FieldCell,
        answer_cells: Mapping[str, FieldCell],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._code_cell = code_cell
        self._cells = answer_cells  # the form's own dict: it follows the service shown
        self._suggested: dict[str, str] = {}  # field key → the town we put there
        self._filling = False
        code_cell.editor.changed.connect(self.refresh)

    def attach(self) -> None:
        """After the form shows a service: watch its place cells and fill them."""
        self._suggested.clear()
        for key in self._place_keys():
            self._cells[key].editor.changed.connect(lambda k=key: self._edited(k))
        self.refresh()

    def _place_keys(self) -> list[str]:
        return [
            key
            for key, cell in self._cells.items()
            if key in PLACE_FIELDS and cell.editor.field.type is FieldType.TEXT
        ]

    def suggested_keys(self) -> frozenset[str]:
        """The fields holding a suggestion the clerk has not changed."""
        return frozenset(self._suggested)

    def refresh(self) -> None:
        town = issuing_place(self._code_cell.editor.value()) or ""
        for key in self._place_keys():
            cell = self._cells[key]
            current = cell.editor.value()
            if current.strip() and current != self._suggested.get(key):
                continue  # typed (or loaded) by the clerk: theirs
            self._filling = True
            try:
                cell.editor.set_value(town)
            finally:
                self._filling = False
            if town:
                self._suggested[key] = town
                cell.show_note(
                    self.tr("From the national code's place of issue: check it with the citizen.")
                )
            else:
                self._suggested.pop(key, None)
                cell.show_note(None)

    def _edited(self, key: str) -> None:
        if self._filling or key not in self._suggested:
            return
        if key in self._cells and self._cells[key].editor.value() != self._suggested[key]:
            del self._suggested[key]  # the clerk made it theirs
            self._cells[key].show_note(None)
