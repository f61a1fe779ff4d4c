"""The counter's main job: register a citizen's request (or correct one) from the keyboard.

The form is generated from the catalogue's service definition: the fixed
applicant block, the service's own fields, the documents the clerk must see,
fees and the card terminal's reference. Saving runs on the worker thread
(``Intake.save`` / ``Intake.correct`` validate exactly as the server will);
every problem is shown under its own field and nothing typed is lost when a
save fails. Enter moves to the next field and saves on the last one.
"""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.changes import REQUEST_SAVED, SETTINGS_CHANGED
from desktop.clock import TEHRAN, utc_now
from desktop.intake import RequestDraft, SavedRequest
from rules.catalog import APPLICANT_FIELDS, Field, FieldType, Service, ValidationFailed
from rules.errors import UserFacingError
from rules.messages import Message
from rules.validation import FieldError
from ui.context import AppContext
from ui.documents_area import NOT_CHOSEN, STILL_BUSY, DocumentsArea
from ui.errors import show_error
from ui.form_fields import FieldCell, make_editor, place_cells, show_digits_as_typed
from ui.place_suggestion import PlaceSuggestion
from ui.returning_citizen import ReturningCitizen
from ui.service_picker import ServicePicker
from ui.theme import digits, format_money, heading_font, identifier, set_flag, set_role

log = logging.getLogger("pishkhan.ui")


class RequestForm(QWidget):
    """The new-request (and correction) form; ``saved`` carries the SavedRequest."""

    saved = Signal(object)
    printRequested = Signal(str)  # a request id

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("requestForm")
        self._ctx = ctx
        self._lang = ctx.lang
        self._service: Service | None = None
        self._correcting: str | None = None
        self._correcting_reference = ""
        self._saving = False
        self.last_saved: SavedRequest | None = None
        self._chain: list[QWidget] = []
        self.applicant_cells: dict[str, FieldCell] = {}
        self.answer_cells: dict[str, FieldCell] = {}
        self.document_boxes: dict[str, QCheckBox] = {}

        self.picker = ServicePicker(self._lang, self)
        self.picker.setMinimumWidth(240)
        self.picker.setMaximumWidth(320)
        self.picker.serviceChosen.connect(self.set_service)

        self.result = QFrame(self)  # the saved reference, big, and its receipt
        self.result.setObjectName("savedResult")
        self.result.setStyleSheet(
            "QFrame#savedResult { background:#e6f4ea; border:1px solid #a7d3b5;"
            " border-radius:6px; } QFrame#savedResult QLabel { color:#1e5b35; }"
        )
        self.result_text = QLabel(self.result)
        self.result_text.setObjectName("savedReference")
        self.result_text.setTextFormat(Qt.TextFormat.RichText)
        self.result_text.setWordWrap(True)
        self.result_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.print_button = QPushButton(self.tr("Print receipt (Ctrl+P)"), self.result)
        self.print_button.setObjectName("printReceipt")
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self._print_last)
        result_row = QHBoxLayout(self.result)
        result_row.setContentsMargins(12, 6, 12, 6)
        result_row.addWidget(self.result_text, 1)
        result_row.addWidget(self.print_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.result.hide()
        self.correction = QLabel(self)
        self.correction.setObjectName("correctionNote")
        self.correction.setWordWrap(True)
        self.correction.hide()
        self.cancel_correction = QPushButton(self.tr("Cancel correction"), self)
        self.cancel_correction.hide()
        self.cancel_correction.clicked.connect(self.new_request)
        self.summary = QLabel(self)  # "3 entries to correct" and errors with no field
        self.summary.setObjectName("formSummary")
        self.summary.setWordWrap(True)
        set_role(self.summary, "summary")
        self.summary.hide()

        self.body = QWidget(self)
        self.body.setObjectName("formBody")
        self._build_body()
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.body)
        self.scroll_area = scroll

        self.bottom = self._build_bottom()

        right = QVBoxLayout()
        right.setSpacing(6)
        correction_row = QHBoxLayout()
        correction_row.addWidget(self.correction, 1)
        correction_row.addWidget(self.cancel_correction)
        right.addWidget(self.result)
        right.addLayout(correction_row)
        right.addWidget(self.summary)
        right.addWidget(scroll, 1)
        right.addWidget(self.bottom)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.setSpacing(12)
        layout.addWidget(self.picker)
        layout.addLayout(right, 1)

        save_shortcut = QShortcut(QKeySequence("Ctrl+S"), self)
        save_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save_shortcut.activated.connect(self.save)
        self.reload_catalog()
        self._show_service(None)
        self._choose_remembered_service()
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_moved)

    def _focus_moved(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Wherever the focus goes in the form (Enter, a save, an error, a shortcut), the
        field is scrolled into view: a scroll area follows only Tab by itself."""
        if new is not None and self.body.isAncestorOf(new):
            self.scroll_area.ensureWidgetVisible(new, 20, 40)

    # --- building -------------------------------------------------------------------------

    def _build_body(self) -> None:
        layout = QVBoxLayout(self.body)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.setSpacing(8)
        self.placeholder = QLabel(
            self.tr(
                "Choose a service from the list to start a request.\n"
                "Type a few letters of its name to find it, then press Enter."
            ),
            self.body,
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.placeholder, "help")
        self.title = QLabel(self.body)
        self.title.setObjectName("serviceTitle")
        self.title.setFont(heading_font(self.font(), grow=4))
        set_role(self.title, "heading")
        self.category = QLabel(self.body)
        set_role(self.category, "help")

        self.applicant_group = QGroupBox(self.tr("Applicant"), self.body)
        QGridLayout(self.applicant_group)
        self.returning_note = QLabel(self.applicant_group)
        self.returning_note.setObjectName("returningNote")
        self.returning_note.setWordWrap(True)
        set_role(self.returning_note, "note")
        self.returning_note.hide()
        grid = self.applicant_group.layout()
        assert isinstance(grid, QGridLayout)
        grid.addWidget(self.returning_note, 0, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        for field in APPLICANT_FIELDS:
            cell = FieldCell(
                make_editor(field, self._lang, self.applicant_group),
                self._lang,
                self.applicant_group,
            )
            self.applicant_cells[field.key] = cell
            cell.editor.changed.connect(lambda c=cell: self._recheck(c))
            cell.editor.completed.connect(lambda c=cell: self.focus_next(c.editor.focus_widget))
        place_cells(list(self.applicant_cells.values()), self.applicant_group, first_row=1)
        self.returning = ReturningCitizen(
            self._ctx, self.applicant_cells, self.returning_note, self
        )
        self.returning.filled.connect(self._returning_filled)
        self.places = PlaceSuggestion(
            self.applicant_cells["national_code"], self.answer_cells, self
        )

        self.details_group = QGroupBox(self.tr("Request details"), self.body)
        QGridLayout(self.details_group)
        self.documents_group = QGroupBox(self.tr("Documents seen"), self.body)
        docs = QVBoxLayout(self.documents_group)
        # One key for the usual case: the clerk saw every document the service asks for.
        self.all_documents = QCheckBox(self.tr("All of these seen"), self.documents_group)
        self.all_documents.setObjectName("allDocuments")
        self.all_documents.toggled.connect(self._tick_all_documents)
        self.all_documents.clicked.connect(self._all_documents_clicked)
        docs.addWidget(self.all_documents)
        self.documents_error = QLabel(self.documents_group)
        self.documents_error.setObjectName("error_documents")
        self.documents_error.setWordWrap(True)
        set_role(self.documents_error, "error")
        self.documents_error.hide()
        docs.addWidget(self.documents_error)

        layout.addWidget(self.placeholder, 1)
        layout.addWidget(self.title)
        layout.addWidget(self.category)
        layout.addWidget(self.applicant_group)
        layout.addWidget(self.details_group)
        layout.addWidget(self.documents_group)
        # Scans of the documents (issue 12): shrunk beside the GUI thread, saved with the request.
        self.documents_area = DocumentsArea(self._lang, self._ctx.worker.aside, self.body)
        self.documents_area.hide()
        folder = str(self._ctx.settings.get("scan_folder") or "")
        self.documents_area.watch(Path(folder) if folder else None)
        layout.addWidget(self.documents_area)
        layout.addStretch(1)

    def _build_bottom(self) -> QFrame:
        bottom = QFrame(self)
        bottom.setObjectName("formBottom")
        bottom.setFrameShape(QFrame.Shape.StyledPanel)
        self.fees_detail = QLabel(bottom)
        self.fees_detail.setObjectName("feesDetail")
        self.fees_detail.setWordWrap(True)  # a long breakdown must not widen the window
        set_role(self.fees_detail, "help")
        self.fees_total = QLabel(bottom)
        self.fees_total.setObjectName("feesTotal")
        self.fees_total.setFont(heading_font(self.font(), grow=2))
        self.card_ref = QLineEdit(bottom)
        self.card_ref.setObjectName("cardRef")
        self.card_ref.setMaxLength(32)
        self.card_ref.setPlaceholderText(digits("123456789012", self._lang))
        card_label = QLabel(self.tr("Card terminal reference"), bottom)
        card_label.setBuddy(self.card_ref)
        self.card_error = QLabel(bottom)
        self.card_error.setObjectName("error_card_ref")
        set_role(self.card_error, "error")
        self.card_error.hide()
        self.save_button = QPushButton(self.tr("Save request (Ctrl+S)"), bottom)
        self.save_button.setObjectName("saveButton")
        set_flag(self.save_button, "primary", True)
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save)
        self.clear_button = QPushButton(self.tr("Clear"), bottom)
        self.clear_button.setAutoDefault(False)
        self.clear_button.clicked.connect(self.clear)

        fees = QVBoxLayout()
        fees.setSpacing(0)
        fees.addWidget(self.fees_total)
        fees.addWidget(self.fees_detail)
        card = QVBoxLayout()
        card.setSpacing(2)
        card.addWidget(card_label)
        card.addWidget(self.card_ref)
        card.addWidget(self.card_error)
        row = QHBoxLayout(bottom)
        row.setContentsMargins(10, 6, 10, 6)
        row.addLayout(fees, 2)
        row.addLayout(card, 1)
        row.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.card_ref.installEventFilter(self)
        self.card_ref.textChanged.connect(self._clear_card_error)
        self.card_ref.textEdited.connect(lambda: show_digits_as_typed(self.card_ref, self._lang))
        return bottom

    def reload_catalog(self) -> None:
        """Offer the current catalogue's active services (after a new version arrives)."""
        try:
            catalog = self._ctx.catalogs.current()
        except UserFacingError as exc:
            self.picker.set_services([])
            self.summary.setText(exc.message.text(self._lang))
            self.summary.show()
            return
        self.picker.set_services(list(catalog.active_services()))

    def set_service(self, service: Service | None) -> None:
        """Show the form for ``service``; what was typed in the applicant block stays."""
        if service is not None and self._service is not None and service.code == self._service.code:
            self._focus_first_field()
            return
        self._show_service(service)
        if service is not None:
            self._focus_first_field()

    def _show_service(self, service: Service | None) -> None:
        self._service = service
        for cell in self.answer_cells.values():
            cell.setParent(None)
            cell.deleteLater()
        self.answer_cells.clear()
        for box in self.document_boxes.values():
            box.setParent(None)
            box.deleteLater()
        self.document_boxes.clear()
        self._clear_errors()
        self.documents_area.set_service(service)
        has = service is not None
        self.placeholder.setVisible(not has)
        for widget in (self.title, self.category, self.applicant_group, self.bottom):
            widget.setVisible(has)
        if service is None:
            self.details_group.hide()
            self.documents_group.hide()
            return
        self.title.setText(service.title.text(self._lang))
        self.category.setText(service.category.text(self._lang))
        cells = []
        for field in service.fields:
            cell = FieldCell(
                make_editor(field, self._lang, self.details_group), self._lang, self.details_group
            )
            cell.editor.changed.connect(self._update_fees)
            cell.editor.changed.connect(lambda c=cell: self._recheck(c))
            cell.editor.completed.connect(lambda c=cell: self.focus_next(c.editor.focus_widget))
            self.answer_cells[field.key] = cell
            cells.append(cell)
        place_cells(cells, self.details_group)
        self.places.attach()
        grid = self.details_group.layout()
        assert isinstance(grid, QGridLayout)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        self.details_group.setVisible(bool(cells))
        docs = self.documents_group.layout()
        assert isinstance(docs, QVBoxLayout)
        for document in service.documents:
            text = document.label.text(self._lang)
            if document.required:
                text += " *"
            box = QCheckBox(text, self.documents_group)
            box.setObjectName(f"document_{document.key}")
            box.toggled.connect(self._recheck_documents)
            box.toggled.connect(self._document_ticked)
            self.document_boxes[document.key] = box
            docs.insertWidget(docs.count() - 1, box)
        self.documents_group.setVisible(bool(service.documents))
        self._update_fees()
        self._install_keys()

    def _install_keys(self) -> None:
        """Tab order in reading order; Enter moves on (and saves on the last field)."""
        chain: list[QWidget] = [self.picker.search, self.picker.list]
        chain += [c.editor.focus_widget for c in self.applicant_cells.values()]
        chain += [c.editor.focus_widget for c in self.answer_cells.values()]
        if self.document_boxes:
            chain.append(self.all_documents)
        chain += list(self.document_boxes.values())
        scans = self.documents_area.tab_chain()
        chain += scans
        chain += [self.card_ref, self.save_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        for widget in chain[2:-2]:
            if widget not in scans:  # there Enter previews or presses, it does not move on
                widget.installEventFilter(self)
        self._chain = chain

    # --- values ---------------------------------------------------------------------------

    @property
    def service(self) -> Service | None:
        return self._service

    @property
    def correcting(self) -> str | None:
        return self._correcting

    def draft(self) -> RequestDraft:
        assert self._service is not None
        return RequestDraft(
            service_code=self._service.code,
            applicant={k: c.editor.value() for k, c in self.applicant_cells.items()},
            answers={k: c.editor.value() for k, c in self.answer_cells.items()},
            documents=[k for k, box in self.document_boxes.items() if box.isChecked()],
            card_ref=self.card_ref.text(),
            scans=self.documents_area.scans(),
        )

    def has_input(self) -> bool:
        """Whether the clerk typed anything that a switch of window would lose."""
        cells = list(self.applicant_cells.values()) + list(self.answer_cells.values())
        return (
            any(c.editor.value().strip() for c in cells)
            or any(b.isChecked() for b in self.document_boxes.values())
            or bool(self.card_ref.text().strip())
            or bool(self.documents_area.pending)
        )

    def _update_fees(self) -> None:
        if self._service is None:
            return
        answers = {
            k: c.editor.value()
            for k, c in self.answer_cells.items()
            if c.editor.field.type in (FieldType.CHOICE, FieldType.MONEY)
        }
        # The fees and the money collected for another body (a bill's amount, as typed):
        # the total is what the card terminal must be charged.
        payment = self._service.payment(answers)
        fees = payment.fees
        lang = self._lang
        self.fees_total.setText(
            self.tr("Total: %1").replace("%1", format_money(payment.total, lang))
        )
        detail = (
            self.tr("Government fee %1 · Office fee %2 · VAT %3")
            .replace("%1", format_money(fees.government, lang))
            .replace("%2", format_money(fees.office, lang))
            .replace("%3", format_money(fees.vat, lang))
        )
        for key, amount in payment.collected:
            label = self._service.field(key).label.text(lang)
            detail += f" · {label}: {format_money(amount, lang)}"
        self.fees_detail.setText(detail)

    # --- errors ---------------------------------------------------------------------------

    def _clear_errors(self) -> None:
        for cell in [*self.applicant_cells.values(), *self.answer_cells.values()]:
            cell.show_error(None)
        self.documents_error.hide()
        self.documents_area.clear_error()
        self.card_error.hide()
        set_flag(self.card_ref, "invalid", False)
        self.summary.hide()

    def _recheck(self, cell: FieldCell) -> None:
        """A field with an error is judged again as the clerk edits it (issue 14, item 2):
        the error goes as soon as the value is right, or says what is wrong now."""
        if cell.error.isHidden():
            return
        field = cell.editor.field
        try:
            field.check(cell.editor.value(), today=utc_now().astimezone(TEHRAN).date())
        except FieldError as exc:
            cell.show_error(exc.message.text(self._lang))
            return
        cell.show_error(None)
        self._refresh_summary()

    def _recheck_documents(self) -> None:
        if self.documents_error.isHidden() or self._service is None:
            return
        ticked = {k for k, b in self.document_boxes.items() if b.isChecked()}
        if all(d.key in ticked for d in self._service.documents if d.required):
            self.documents_error.hide()
            self._refresh_summary()

    def _clear_card_error(self) -> None:
        # Only the server-side rules know a card reference is wrong (length, digits);
        # an edit is the clerk's answer to the message, so it goes until the next save.
        if not self.card_error.isHidden():
            self.card_error.hide()
            set_flag(self.card_ref, "invalid", False)
            self._refresh_summary()

    def _refresh_summary(self) -> None:
        """The summary line names only the fields that still show an error."""
        if self.summary.isHidden():
            return
        if not self.error_keys():
            self.summary.hide()

    def error_keys(self) -> list[str]:
        """The field paths that show an error now, in the form's order."""
        keys = [f"applicant.{k}" for k, c in self.applicant_cells.items() if not c.error.isHidden()]
        keys += [f"answers.{k}" for k, c in self.answer_cells.items() if not c.error.isHidden()]
        if not self.documents_error.isHidden():
            keys.append("documents")
        if not self.documents_area.error.isHidden():
            keys.append("scans")
        if not self.card_error.isHidden():
            keys.append("card_ref")
        return keys

    def show_errors(self, errors: dict[str, Message], summary: Message | None = None) -> None:
        """Every error under its own field; the first bad field gets the focus."""
        self._clear_errors()
        lang = self._lang
        first: QWidget | None = None
        loose: list[str] = []
        named: list[str] = []  # where the problems are, for the summary line
        order = [f"applicant.{k}" for k in self.applicant_cells]
        order += [f"answers.{k}" for k in self.answer_cells]
        order += ["documents", "card_ref"]
        for key in order + sorted(set(errors) - set(order)):
            message = errors.get(key)
            if message is None:
                continue
            text = message.text(lang)
            target: QWidget | None = None
            block, _, name = key.partition(".")
            if block == "applicant" and name in self.applicant_cells:
                self.applicant_cells[name].show_error(text)
                target = self.applicant_cells[name].editor.focus_widget
                named.append(self.applicant_cells[name].editor.field.label.text(lang))
            elif block == "answers" and name in self.answer_cells:
                self.answer_cells[name].show_error(text)
                target = self.answer_cells[name].editor.focus_widget
                named.append(self.answer_cells[name].editor.field.label.text(lang))
            elif key == "documents":
                named.append(self.documents_group.title())
                self.documents_error.setText(text)
                self.documents_error.show()
                missing = [k for k, b in self.document_boxes.items() if not b.isChecked()]
                target = self.document_boxes[missing[0]] if missing else None
            elif block == "scans":  # scans.<document>, or "scans" for the area as a whole
                area = self.documents_area
                shown = area.error.text() if not area.error.isHidden() else ""
                area.show_error(f"{shown}\n{text}" if shown else text)
                target = area.list
                if area.title() not in named:
                    named.append(area.title())
            elif key == "card_ref":
                self.card_error.setText(text)
                self.card_error.show()
                set_flag(self.card_ref, "invalid", True)
                target = self.card_ref
                named.append(self.tr("Card terminal reference"))
            else:
                loose.append(text)
            if first is None and target is not None:
                first = target
        lines = [summary.text(lang)] if summary is not None else []
        if lines and named:
            lines[0] += " — " + ("، " if lang == "fa" else ", ").join(named)
        self.summary.setText("\n".join(lines + loose))
        self.summary.setVisible(bool(lines or loose))
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
            self.scroll_area.ensureWidgetVisible(first)

    def error_text(self, key: str) -> str:
        """The error shown for a field path ("applicant.mobile", "documents"); "" if none."""
        block, _, name = key.partition(".")
        if block == "applicant" and name in self.applicant_cells:
            label = self.applicant_cells[name].error
        elif block == "answers" and name in self.answer_cells:
            label = self.answer_cells[name].error
        elif key == "documents":
            label = self.documents_error
        elif block == "scans":
            label = self.documents_area.error
        elif key == "card_ref":
            label = self.card_error
        else:
            return ""
        return label.text() if not label.isHidden() else ""

    # --- saving ---------------------------------------------------------------------------

    @property
    def saving(self) -> bool:
        return self._saving

    def save(self) -> None:
        if self._saving:
            return
        if self._service is None:
            self.summary.setText(self.tr("Choose a service first."))
            self.summary.show()
            self.picker.focus_search()
            return
        clerk = self._ctx.clerk
        if clerk is None:
            raise RuntimeError("the form saves only for a logged-in clerk")
        area = self.documents_area
        if area.isVisibleTo(self) and area.busy:
            self.summary.setText(STILL_BUSY.text(self._lang))
            self.summary.show()
            return
        if area.isVisibleTo(self) and area.unassigned():
            self.show_errors({"scans": NOT_CHOSEN})
            return
        draft = self.draft()
        intake = self._ctx.intake
        original = self._correcting
        at_work = self._ctx.during_clerk_work
        self._set_saving(True)
        if original is not None:
            self._ctx.worker.submit(
                lambda: at_work(lambda: intake.correct(clerk, original, draft)),
                self._saved,
                self._save_failed,
                changes=REQUEST_SAVED,
            )
        else:
            self._ctx.worker.submit(
                lambda: at_work(lambda: intake.save(clerk, draft)),
                self._saved,
                self._save_failed,
                changes=REQUEST_SAVED,
            )

    def _choose_remembered_service(self) -> None:
        """The form opens on the service of the last request saved here (the clerk of a
        busy counter registers the same service for one citizen after another)."""
        code = str(self._ctx.settings.get("last_service") or "")
        if code and code in self.picker.visible_codes():
            self.picker.choose(code)

    def _remember_service(self, code: str) -> None:
        settings = self._ctx.settings
        if settings.get("last_service") != code:
            self._ctx.worker.submit(
                lambda: settings.set("last_service", code), changes=SETTINGS_CHANGED
            )

    def _set_saving(self, saving: bool) -> None:
        self._saving = saving
        for widget in (self.picker, self.body, self.bottom):
            widget.setEnabled(not saving)
        self.save_button.setText(self.tr("Saving…") if saving else self.tr("Save request (Ctrl+S)"))

    def _saved(self, saved: SavedRequest) -> None:
        self._set_saving(False)
        self.last_saved = saved
        corrected = self._correcting_reference
        self.clear(keep_result=True)
        self._end_correction()
        reference = identifier(saved.reference, self._lang)
        if corrected:
            head = self.tr("Correction saved; it replaces %1.").replace(
                "%1", identifier(corrected, self._lang)
            )
        else:
            head = self.tr("Request saved.")
        label = self.tr("Reference number:")
        self.result_text.setText(
            f"<span style='font-size:12pt'>{head} {label}</span> "
            f"<span style='font-size:18pt;font-weight:bold'>&nbsp;{reference}</span>"
        )
        self.result.show()
        self._remember_service(saved.service_code)
        self._focus_first_field()
        # The next citizen's code is typed where the clerk sees it (issue 14, item 3).
        self.scroll_area.verticalScrollBar().setValue(0)
        self.scroll_area.ensureWidgetVisible(self.applicant_cells["national_code"])
        self.saved.emit(saved)

    def _save_failed(self, exc: BaseException) -> None:
        self._set_saving(False)
        # Whatever happened, the clerk's input stays in the form.
        if isinstance(exc, ValidationFailed):
            self.show_errors(exc.errors, exc.message)
            return
        self.summary.hide()
        show_error(self.window(), exc, self._lang)

    def _print_last(self) -> None:
        if self.last_saved is not None:
            self.printRequested.emit(self.last_saved.id)

    # --- clearing, correcting -------------------------------------------------------------

    def clear(self, *, keep_result: bool = False) -> None:
        """Empty every field for the next citizen (the chosen service stays)."""
        with self.returning.paused():
            for cell in [*self.applicant_cells.values(), *self.answer_cells.values()]:
                cell.editor.clear()
            for box in self.document_boxes.values():
                box.setChecked(False)
            self.all_documents.setChecked(False)
            self.documents_area.clear()
            self.card_ref.clear()
        self.returning.reset()
        self._clear_errors()
        if not keep_result:
            self.result.hide()
        self._update_fees()

    def new_request(self) -> None:
        """Ctrl+N: an empty form and the cursor in the service search."""
        self._end_correction()
        self.clear()
        self._show_service(None)
        self.picker.search.clear()
        self.picker.focus_search()

    def _end_correction(self) -> None:
        self._correcting = None
        self._correcting_reference = ""
        self.correction.hide()
        self.cancel_correction.hide()

    def load_for_correction(self, request_id: str) -> None:
        """Fill the form from a saved request; saving makes a correction that supersedes it."""
        detail = self._ctx.queries.detail(request_id)
        if detail is None:
            show_error(
                self.window(),
                UserFacingError(
                    Message(fa="این درخواست پیدا نشد.", en="This request was not found.")
                ),
                self._lang,
            )
            return
        try:
            service = self._ctx.catalogs.current().service(detail.row.service_code)
        except Exception:
            show_error(
                self.window(),
                UserFacingError(
                    Message(
                        fa="خدمت این درخواست دیگر در فهرست خدمات نیست؛ "
                        "اصلاح آن از این باجه ممکن نیست.",
                        en="This request's service is no longer in the catalogue; it cannot be "
                        "corrected here.",
                    )
                ),
                self._lang,
            )
            return
        self.new_request()
        self.set_service(service)
        row = detail.row
        values = {
            "national_code": row.national_code,
            "first_name": row.first_name,
            "last_name": row.last_name,
            "mobile": row.mobile,
            "address": detail.address,
        }
        with self.returning.paused():
            for key, value in values.items():
                self.applicant_cells[key].editor.set_value(value)
            for key, value in detail.answers.items():
                if key in self.answer_cells:
                    self.answer_cells[key].editor.set_value(value)
            for key in detail.documents:
                if key in self.document_boxes:
                    self.document_boxes[key].setChecked(True)
            self.card_ref.setText(digits(detail.card_ref, self._lang))
        self.returning.reset(known=row.national_code)
        self._update_fees()
        self._correcting = request_id
        self._correcting_reference = row.reference
        note = self.tr(
            "Correcting request %1. Saving registers a new request that replaces "
            "it; the original stays on record."
        )
        self.correction.setText(note.replace("%1", identifier(row.reference, self._lang)))
        self.correction.setStyleSheet(
            "QLabel { background:#fdf3e1; color:#7a4d0b; border:1px solid #ecc98a;"
            " border-radius:6px; padding:6px 10px; }"
        )
        self.correction.show()
        self.cancel_correction.show()
        self.result.hide()

    # --- keyboard -------------------------------------------------------------------------

    def _focus_first_field(self) -> None:
        self.applicant_cells["national_code"].editor.focus_widget.setFocus(
            Qt.FocusReason.OtherFocusReason
        )

    def focus_next(self, widget: QWidget) -> None:
        """Enter, or a field filled to the last digit: on to the next field to fill.

        Tab visits every field; Enter skips optional ones (the address, say: Tab reaches
        them), fields the returning citizen's last request filled in, a birth place the
        national code suggested, and the single documents once "all seen" is ticked.
        """
        chain = [w for w in self._chain if w.isVisibleTo(self) and w.isEnabled()]
        if widget not in chain:
            return
        skip = self._filled_or_optional()
        if self.all_documents.isChecked():
            skip |= set(self.document_boxes.values())
        for candidate in chain[chain.index(widget) + 1 :]:
            if candidate not in skip:
                candidate.setFocus(Qt.FocusReason.TabFocusReason)
                return

    def _filled_or_optional(self) -> set[QWidget]:
        out: set[QWidget] = set()
        for cell in self.applicant_cells.values():
            editor = cell.editor
            if not editor.field.required or editor.field.key in self.returning.filled_keys():
                out.add(editor.focus_widget)
        # A birth place suggested from the national code is filled in like a returning
        # citizen's name: shown with a note to check it, reached by Tab, passed by Enter.
        suggested = self.places.suggested_keys()
        for key, cell in self.answer_cells.items():
            if not cell.editor.field.required or key in suggested:
                out.add(cell.editor.focus_widget)
        return out

    def _returning_filled(self) -> None:
        """The lookup filled fields while the clerk waited on one of them: move past."""
        focused = QApplication.focusWidget()
        filled = {self.applicant_cells[k].editor.focus_widget for k in self.returning.filled_keys()}
        if focused in filled:
            self.focus_next(focused)

    def _tick_all_documents(self, checked: bool) -> None:
        for box in self.document_boxes.values():
            box.blockSignals(True)
            box.setChecked(checked)
            box.blockSignals(False)
        self._recheck_documents()

    def _all_documents_clicked(self, checked: bool) -> None:
        """Space on "all of these seen" ticks them and moves on: nothing else to do there."""
        if checked:
            self.focus_next(self.all_documents)

    def _document_ticked(self) -> None:
        every = bool(self.document_boxes) and all(
            b.isChecked() for b in self.document_boxes.values()
        )
        self.all_documents.blockSignals(True)
        self.all_documents.setChecked(every)
        self.all_documents.blockSignals(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() & (
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
            ):
                if isinstance(watched, QComboBox) and watched.view().isVisible():
                    return False
                if watched is self.card_ref:
                    self.save()
                    return True
                if isinstance(watched, QWidget):
                    self.focus_next(watched)
                    return True
        return super().eventFilter(watched, event)

    def applicant_field(self, key: str) -> Field:
        return self.applicant_cells[key].editor.field
