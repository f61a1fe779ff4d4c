"""One request in full: what was registered, what it cost, where it stands, what happened.

Answers are labelled from the catalogue version the request was made under
(``ctx.catalogs.get(version)``), so a request keeps reading right after the
catalogue changes. A correction and the request it replaced link to each
other; following a link shows the other one in the same dialog. From here the
clerk reprints the receipt or starts a correction (a new request that
supersedes this one: offered in every state except once already superseded).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.catalog_store import NoCatalog
from desktop.queue import RequestDetail
from desktop.scans.progress import scanned_documents
from desktop.states import STATE_NAMES, State
from rules import bidi
from rules.catalog import Catalog, CatalogError, FieldType, Service
from ui import theme
from ui.context import AppContext
from ui.errors import show_error
from ui.queue_model import ACTION_STATES, STATE_COLORS

log = logging.getLogger("pishkhan.ui")

# Answers that are identifiers: shown isolated left to right (rules.bidi).
_IDENTIFIER_TYPES = frozenset(
    {
        FieldType.SHEBA,
        FieldType.BANK_CARD,
        FieldType.MOBILE,
        FieldType.NATIONAL_CODE,
        FieldType.POSTAL_CODE,
    }
)

_LIGHT = {
    theme.RED: theme.RED_LIGHT,
    theme.AMBER: theme.AMBER_LIGHT,
    theme.GREEN: theme.GREEN_LIGHT,
    theme.TEAL: theme.TEAL_LIGHT,
}


def isolate(text: str) -> str:
    """Keeps an identifier's digit groups in order inside a Persian sentence (rules.bidi)."""
    return bidi.ltr(text)


class RequestDetailDialog(QDialog):
    """Everything about one request, with reprint and correction."""

    def __init__(
        self,
        ctx: AppContext,
        request_id: str,
        parent: QWidget | None = None,
        on_correct: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("requestDetail")
        self._ctx = ctx
        self._lang = ctx.lang
        self._on_correct = on_correct
        self.request_id = request_id
        self.detail: RequestDetail | None = None
        # Every shown value by a stable key ("applicant.national_code", "answers.<key>",
        # "fees.total", "tracking_code", ...): what a test or a screen reader looks up.
        self.values: dict[str, QLabel] = {}
        self.setLayoutDirection(theme.layout_direction(self._lang))
        self._start = (
            Qt.AlignmentFlag.AlignAbsolute
            | Qt.AlignmentFlag.AlignVCenter
            | (Qt.AlignmentFlag.AlignRight if self._lang == "fa" else Qt.AlignmentFlag.AlignLeft)
        )
        self.setSizeGripEnabled(True)
        self.resize(1000, 740)

        self.header = QWidget(self)
        self.body_area = QScrollArea(self)
        self.body_area.setWidgetResizable(True)
        self.body_area.setFrameShape(QFrame.Shape.NoFrame)

        self.correct_button = QPushButton(self.tr("Make a correction"), self)
        self.correct_button.setObjectName("correctRequest")
        self.correct_button.setAutoDefault(False)
        self.correct_button.clicked.connect(self._correct)
        self.print_button = QPushButton(self.tr("Reprint receipt"), self)
        self.print_button.setObjectName("reprintReceipt")
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self._reprint)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.correct_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)

        layout = self._layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(10)
        layout.addWidget(self.header)
        layout.addWidget(self.body_area, 1)
        layout.addWidget(buttons)

        self.load(request_id)

    # --- Loading ----------------------------------------------------------------------------

    def load(self, request_id: str) -> None:
        """Show ``request_id`` (also how the supersedes/superseded-by links move)."""
        self.request_id = request_id
        self.detail = self._ctx.queries.detail(request_id)
        self.values = {}
        old_header = self.header
        self.header = self._build_header()
        self._layout.replaceWidget(old_header, self.header)
        old_header.deleteLater()
        body = self._build_body()
        self.body_area.setWidget(body)  # the previous body is deleted by the scroll area
        self._update_buttons()
        detail = self.detail
        # Isolated like everywhere else (issue 14, item 4): a Persian title reorders a bare
        # reference's groups just as a Persian sentence does.
        reference = theme.identifier(detail.row.reference, self._lang) if detail else ""
        self.setWindowTitle(self.tr("Request %1").replace("%1", reference).strip())

    def _update_buttons(self) -> None:
        detail = self.detail
        self.print_button.setEnabled(detail is not None)
        superseded = detail is not None and detail.superseded_by is not None
        self.correct_button.setEnabled(
            detail is not None and self._on_correct is not None and not superseded
        )
        self.correct_button.setVisible(self._on_correct is not None)
        if superseded:
            self.correct_button.setToolTip(
                self.tr("Already corrected: make any further correction on the newest version.")
            )
        else:
            self.correct_button.setToolTip("")
        urgent = detail is not None and detail.row.state in ACTION_STATES and not superseded
        theme.set_flag(self.correct_button, "primary", urgent)

    # --- Header: reference, state, service, reason, links ---------------------------------

    def _build_header(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        detail = self.detail
        if detail is None:
            missing = QLabel(self.tr("This request is not on this PC."), box)
            theme.set_role(missing, "error")
            layout.addWidget(missing)
            return box
        row = detail.row
        top = QHBoxLayout()
        top.setSpacing(12)
        reference = QLabel(theme.identifier(row.reference, self._lang), box)
        reference.setObjectName("detailReference")
        reference.setFont(theme.heading_font(self.font(), grow=5))
        reference.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.values["reference"] = reference
        top.addWidget(reference)
        top.addWidget(self._state_badge(row.state, box))
        top.addStretch(1)
        registered = QLabel(theme.format_jalali_datetime(row.created_at, self._lang), box)
        theme.set_role(registered, "help")
        top.addWidget(registered)
        layout.addLayout(top)

        service = QLabel(row.service_title_fa if self._lang == "fa" else row.service_title_en, box)
        service.setFont(theme.heading_font(self.font(), grow=2, bold=False))
        service.setWordWrap(True)
        self.values["service"] = service
        layout.addWidget(service)

        reason = row.reason_fa if self._lang == "fa" else row.reason_en
        reason = reason or row.reason_fa or row.reason_en
        if reason:
            note = self._note(reason, STATE_COLORS.get(row.state, theme.MUTED), box)
            note.setObjectName("detailReason")
            self.values["reason"] = note
            layout.addWidget(note)
        if detail.superseded_by is not None:
            note = self._link_note(
                self.tr("This request was corrected by %1; the correction is the one that counts."),
                detail.superseded_by,
                theme.AMBER,
                box,
            )
            self.values["superseded_by"] = note
            layout.addWidget(note)
        if detail.supersedes is not None:
            note = self._link_note(
                self.tr("This request is a correction of %1."), detail.supersedes, theme.TEAL, box
            )
            self.values["supersedes"] = note
            layout.addWidget(note)
        return box

    def _state_badge(self, state: str, parent: QWidget) -> QLabel:
        try:
            name = STATE_NAMES[State(state)].text(self._lang)
        except ValueError:
            name = state
        color = STATE_COLORS.get(state, theme.MUTED)
        badge = QLabel(name, parent)
        badge.setObjectName("detailState")
        badge.setStyleSheet(
            f"QLabel {{ color: {color}; background: {_LIGHT.get(color, '#eef1f3')};"
            f" border: 1px solid {color}; border-radius: 10px; padding: 2px 12px;"
            f" font-weight: bold; }}"
        )
        self.values["state"] = badge
        return badge

    def _note(self, text: str, color: str, parent: QWidget) -> QLabel:
        note = QLabel(text, parent)
        note.setWordWrap(True)
        note.setStyleSheet(
            f"QLabel {{ color: {color}; background: {_LIGHT.get(color, '#eef1f3')};"
            f" border-radius: 4px; padding: 6px 10px; }}"
        )
        return note

    def _link_note(self, template: str, other_id: str, color: str, parent: QWidget) -> QLabel:
        other = self._ctx.queries.detail(other_id)
        name = theme.digits(other.row.reference, self._lang) if other else other_id
        link = (
            f'<a href="{other_id}" style="color: {color}; font-weight: bold;">{isolate(name)}</a>'
        )
        note = self._note(template.replace("%1", link), color, parent)
        note.setTextFormat(Qt.TextFormat.RichText)
        note.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        note.linkActivated.connect(self.load)
        return note

    # --- Body: applicant, answers, documents, fees, identifiers, history --------------------

    def _build_body(self) -> QWidget:
        body = QWidget()
        grid = QGridLayout(body)
        grid.setContentsMargins(0, 0, 4, 0)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(10)
        detail = self.detail
        if detail is None:
            return body
        service = self._service(detail)
        first = QVBoxLayout()
        first.addWidget(self._applicant_box(detail, body))
        first.addWidget(self._answers_box(detail, service, body))
        first.addWidget(self._documents_box(detail, service, body))
        first.addStretch(1)
        second = QVBoxLayout()
        second.addWidget(self._fees_box(detail, service, body))
        second.addWidget(self._identifiers_box(detail, body))
        second.addWidget(self._history_box(detail, body))
        second.addStretch(1)
        grid.addLayout(first, 0, 0)
        grid.addLayout(second, 0, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        return body

    def _service(self, detail: RequestDetail) -> Service | None:
        try:
            catalog: Catalog = self._ctx.catalogs.get(detail.catalog_version)
            return catalog.service(detail.row.service_code)
        except (NoCatalog, CatalogError):
            log.warning(
                "catalogue version %s or its service %s is not on this PC",
                detail.catalog_version,
                detail.row.service_code,
            )
            return None

    def _group(self, title: str, parent: QWidget) -> QGroupBox:
        box = QGroupBox(title, parent)
        box.setProperty("rtl", self._lang == "fa")  # the style sheet puts the title first
        return box

    def _form_box(self, title: str, parent: QWidget) -> tuple[QGroupBox, QFormLayout]:
        box = self._group(title, parent)
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeading | Qt.AlignmentFlag.AlignVCenter)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(6)
        return box, form

    def _add(
        self,
        form: QFormLayout,
        key: str,
        label: str,
        value: str,
        *,
        ltr: bool = False,
        strong: bool = False,
        muted: bool = False,
    ) -> QLabel:
        shown = QLabel(value if value else "—", form.parentWidget())
        shown.setObjectName(f"value_{key}")
        # A QLabel aligns by its text's own direction: digits alone would sit on the far
        # side of a Persian form. Values start where their captions end, in both languages.
        shown.setAlignment(self._start)
        shown.setWordWrap(not ltr)
        shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        if ltr:
            # An identifier with Latin letters (Sheba, tracking code) reads left to right.
            shown.setText(isolate(value) if value else "—")
        if strong:
            font = QFont(shown.font())
            font.setBold(True)
            shown.setFont(font)
        if muted or not value:
            theme.set_role(shown, "help")
        caption = QLabel(label, form.parentWidget())
        theme.set_role(caption, "help")
        form.addRow(caption, shown)
        self.values[key] = shown
        return shown

    def _applicant_box(self, detail: RequestDetail, parent: QWidget) -> QGroupBox:
        row = detail.row
        box, form = self._form_box(self.tr("Applicant"), parent)
        d = theme.digits
        self._add(
            form,
            "applicant.national_code",
            self.tr("National code"),
            d(row.national_code, self._lang),
            ltr=True,
        )
        self._add(
            form,
            "applicant.name",
            self.tr("Name"),
            f"{row.first_name} {row.last_name}",
            strong=True,
        )
        self._add(form, "applicant.mobile", self.tr("Mobile"), d(row.mobile, self._lang), ltr=True)
        # Free text keeps the digits as typed; on screen they follow the language.
        self._add(form, "applicant.address", self.tr("Address"), d(detail.address, self._lang))
        return box

    def _answers_box(
        self, detail: RequestDetail, service: Service | None, parent: QWidget
    ) -> QGroupBox:
        box, form = self._form_box(self.tr("Service details"), parent)
        answers = dict(detail.answers)
        if service is not None:
            for field in service.fields:
                raw = answers.pop(field.key, "")
                choice = field.choice(raw)
                label = choice.label.text(self._lang) if choice is not None else None
                self._add(
                    form,
                    f"answers.{field.key}",
                    field.label.text(self._lang),
                    self._answer_text(field.type, raw, label),
                    ltr=field.type in _IDENTIFIER_TYPES,
                )
        # Answers the catalogue version does not describe (or no catalogue): shown by key.
        for key, raw in sorted(answers.items()):
            self._add(form, f"answers.{key}", key, theme.digits(raw, self._lang))
        if form.rowCount() == 0:
            self._add(form, "answers", self.tr("Answers"), "")
        return box

    def _clerk_name(self, username: str) -> str:
        """The clerk as people know them (their display name), not their login."""
        for clerk in self._ctx.clerks.list():
            if clerk.username == username:
                return clerk.display_name or username
        return username

    def _answer_text(self, kind: FieldType, raw: str, choice_label: str | None) -> str:
        if not raw:
            return ""
        lang = self._lang
        if kind is FieldType.CHOICE:
            return choice_label or raw
        if kind is FieldType.MONEY and raw.isdigit():
            return theme.format_money(int(raw), lang)
        # NUMBER stays ungrouped: in the catalogue it is as often an identifier (bill id,
        # payment id) or a year as a quantity, and "۱٬۳۶۶" is no year.
        if kind is FieldType.SHEBA:
            return raw
        return theme.digits(raw, lang)

    def _documents_box(
        self, detail: RequestDetail, service: Service | None, parent: QWidget
    ) -> QGroupBox:
        box = self._group(self.tr("Documents seen"), parent)
        layout = QVBoxLayout(box)
        labels = {d.key: d.label.text(self._lang) for d in service.documents} if service else {}
        names = [labels.get(key, key) for key in detail.documents]
        text = "\n".join(f"✓  {name}" for name in names) if names else "—"
        shown = QLabel(text, box)
        shown.setWordWrap(True)
        shown.setAlignment(self._start)
        if not names:
            theme.set_role(shown, "help")
        self.values["documents"] = shown
        layout.addWidget(shown)
        if detail.scans:  # scanned with the request: what, how many pages, how far sent
            scanned = scanned_documents(detail.scans, service)
            lines = QLabel(
                "\n".join(
                    f"▤  {d.label.text(self._lang)}: {d.pages_text(self._lang)}" for d in scanned
                ),
                box,
            )
            lines.setWordWrap(True)
            lines.setAlignment(self._start)
            self.values["scans"] = lines
            layout.addWidget(lines)
            if detail.row.documents is not None:
                sent = QLabel(detail.row.documents.message().text(self._lang), box)
                theme.set_role(sent, "help")
                sent.setAlignment(self._start)
                self.values["documents_sent"] = sent
                layout.addWidget(sent)
        return box

    def _fees_box(
        self, detail: RequestDetail, service: Service | None, parent: QWidget
    ) -> QGroupBox:
        box, form = self._form_box(self.tr("Payment"), parent)
        money = theme.format_money
        lang = self._lang
        self._add(
            form, "fees.government", self.tr("Government fee"), money(detail.government_fee, lang)
        )
        self._add(form, "fees.office", self.tr("Office fee"), money(detail.office_fee, lang))
        self._add(form, "fees.vat", self.tr("VAT"), money(detail.vat, lang))
        total = detail.government_fee + detail.office_fee + detail.vat
        # Money collected for another body (a bill) was paid with the fees: apart, and in
        # the total, as on the receipt (rules.catalog: Service.payment).
        if service is not None:
            for key, amount in service.payment(detail.answers).collected:
                if key in detail.answers:
                    label = service.field(key).label.text(lang)
                    self._add(form, f"collected.{key}", label, money(amount, lang))
                    total += amount
        self._add(form, "fees.total", self.tr("Total paid"), money(total, lang), strong=True)
        self._add(
            form,
            "card_ref",
            self.tr("Card terminal reference"),
            theme.digits(detail.card_ref, lang),
            ltr=True,
        )
        return box

    def _identifiers_box(self, detail: RequestDetail, parent: QWidget) -> QGroupBox:
        box, form = self._form_box(self.tr("References"), parent)
        row, lang = detail.row, self._lang
        self._add(
            form,
            "provisional_reference",
            self.tr("Provisional reference"),
            theme.digits(row.reference, lang),
            ltr=True,
        )
        tracking = self._add(
            form,
            "tracking_code",
            self.tr("Official tracking code"),
            row.tracking_code or "",
            ltr=True,
            strong=bool(row.tracking_code),
        )
        if not row.tracking_code:
            tracking.setText(self.tr("Issued once the request reaches the central office"))
        self._add(
            form,
            "created_at",
            self.tr("Registered"),
            theme.format_jalali_datetime(row.created_at, lang, seconds=True),
        )
        self._add(form, "clerk", self.tr("Clerk"), self._clerk_name(row.clerk_username))
        self._add(
            form,
            "catalog_version",
            self.tr("Catalogue version"),
            theme.format_number(detail.catalog_version, lang),
            muted=True,
        )
        return box

    def _history_box(self, detail: RequestDetail, parent: QWidget) -> QGroupBox:
        box = self._group(self.tr("History"), parent)
        layout = QVBoxLayout(box)
        tree = QTreeWidget(box)
        tree.setObjectName("detailHistory")
        tree.setRootIsDecorated(False)
        # A long reason wraps in its column rather than ending in "…" with the rest in a
        # tooltip, which the keyboard never reaches (the tree takes no focus): issue 14.
        tree.setUniformRowHeights(False)
        tree.setWordWrap(True)
        tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        tree.setAlternatingRowColors(True)
        tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        tree.setHeaderLabels([self.tr("Time"), self.tr("State"), self.tr("By"), self.tr("Reason")])
        line = theme.row_height(tree.font(), padding=8)
        sources = {
            "counter": self.tr("Counter"),
            "sync": self.tr("Sending"),
            "server": self.tr("Central office"),
        }
        for change in detail.history:
            try:
                state = STATE_NAMES[State(change.state)].text(self._lang)
            except ValueError:
                state = change.state
            reason = change.reason_fa if self._lang == "fa" else change.reason_en
            item = QTreeWidgetItem(
                [
                    theme.format_jalali_datetime(change.at, self._lang, seconds=True),
                    state,
                    sources.get(change.source, change.source),
                    reason or change.reason_fa or change.reason_en or "",
                ]
            )
            item.setForeground(1, QColor(STATE_COLORS.get(change.state, theme.INK)))
            # Vazirmatn's tall line needs the room (on the stretching column: no width effect).
            item.setSizeHint(3, QSize(0, line))
            tree.addTopLevelItem(item)
        header = tree.header()
        header.setStretchLastSection(True)
        for column in range(3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        _HistoryFit(tree, line)
        self.history = tree
        layout.addWidget(tree)
        return box

    # --- Actions ----------------------------------------------------------------------------

    def _reprint(self) -> None:
        from ui.printing import print_receipt  # Qt's print support: loaded when first used

        try:
            print_receipt(self, self._ctx, self.request_id)
        except Exception as exc:  # a printer problem must not close the detail
            show_error(self, exc, self._lang)

    def _correct(self) -> None:
        if self._on_correct is None or self.detail is None or self.detail.superseded_by:
            return
        request_id = self.request_id
        self.accept()
        self._on_correct(request_id)


class _HistoryFit(QObject):
    """Each history row as tall as its reason wrapped in the reason column's width (a
    tree view sizes rows without wrapping), and the tree as tall as its rows, up to
    eight (more scroll). Refitted whenever the width or the font can have changed: the
    column's resizes, and the style's font arriving when the tree is first shown."""

    def __init__(self, tree: QTreeWidget, line: int) -> None:
        super().__init__(tree)
        self._tree = tree
        self._line = line
        self._fitting = False
        tree.header().sectionResized.connect(self.fit)
        tree.installEventFilter(self)
        self.fit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Show, QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self.fit()
        return False

    def fit(self, *_: object) -> None:
        if self._fitting:
            return
        self._fitting = True
        try:
            self._fit()
        finally:
            self._fitting = False

    def _fit(self) -> None:
        tree, line = self._tree, self._line
        width = tree.header().sectionSize(3) - 12  # less the item's text margins
        metrics = tree.fontMetrics()
        heights = []
        for i in range(tree.topLevelItemCount()):
            item = tree.topLevelItem(i)
            if item is None:
                continue
            wrapped = metrics.boundingRect(
                0, 0, max(width, 40), 100_000, Qt.TextFlag.TextWordWrap, item.text(3)
            ).height()
            height = max(line, wrapped + line - metrics.height())
            if item.sizeHint(3).height() != height:
                item.setSizeHint(3, QSize(0, height))
            heights.append(height)
        rows = sum(heights[:8]) or line
        total = tree.header().sizeHint().height() + rows + 2 * tree.frameWidth() + 2
        if tree.height() != total:
            tree.setFixedHeight(total)
