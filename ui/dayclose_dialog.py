"""The day close: a Tehran day's takings per clerk and service, printed, exported, closed.

A manager sees every clerk (or one); a clerk sees only their own takings. The summary is
read on ``ctx.worker`` whenever the day or the clerk changes; printing, the CSV and the
close itself are audited. The printed report (A4 or A5, right to left) is painted with
the same measured flow as the receipt (``ui.printing_flow.Flow``), with signature lines for
the clerk and the manager at the end.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCalendar,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPagedPaintDevice, QPageSize, QPainter, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.clerks import ClerkInfo
from desktop.clock import TEHRAN
from desktop.dayclose import (
    LABELS,
    DaySummary,
    Takings,
    close_day,
    day_summary,
    export_csv,
    record_export,
    times_closed,
    visible_clerk,
)
from desktop.receipt import jalali_date, local_time
from rules.bidi import ltr
from rules.errors import UserFacingError
from rules.messages import Message
from ui import theme
from ui.context import AppContext
from ui.errors import show_error
from ui.form_fields import JalaliCalendar
from ui.printing import choose_printer
from ui.printing_flow import Flow, Item, begin_painting, make_font, write_pdf

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()


# --- The table ---------------------------------------------------------------------------


# The database is encrypted at rest (docs/SECURITY.md); a file exported from it is not.
EXPORT_IS_PLAIN = Message(
    fa="این پرونده رمزگذاری نشده و دادهٔ شخصی دارد (نام کاربران و دریافتی‌های دفتر): آن را "
    "فقط روی همین رایانه یا حافظه‌ای امن نگه دارید و پس از کار پاک کنید.",
    en="This file is not encrypted and holds personal data (the clerks' names and the "
    "office's takings): keep it on this PC or a protected drive, and delete it when done.",
)


class SummaryRow:
    """One line of the on-screen table: a clerk × service line or a total."""

    __slots__ = ("kind", "label", "service", "takings", "what")

    def __init__(self, kind: str, label: str, service: str, what: str, takings: Takings) -> None:
        self.kind = kind  # "line" | "clerk_total" | "total" | "corrections"
        self.label = label  # the clerk's name, or the total's name
        self.service = service
        self.what = what  # "request" / "correction" in words, or ""
        self.takings = takings


def summary_rows(summary: DaySummary, lang: str) -> list[SummaryRow]:
    """Lines grouped by clerk, a subtotal per clerk when there are several, then totals."""
    t = {k: m.text(lang) for k, m in LABELS.items()}
    rows: list[SummaryRow] = []
    several = len(summary.clerks) > 1
    for clerk in summary.clerks:
        for line in (x for x in summary.lines if x.clerk_id == clerk.clerk_id):
            rows.append(
                SummaryRow(
                    "line",
                    clerk.clerk_name,
                    line.service_title.text(lang),
                    t["correction" if line.correction else "new"],
                    line.takings,
                )
            )
        if several:
            name = LABELS["clerk_total"].format(name=Message(clerk.clerk_name, clerk.clerk_name))
            rows.append(SummaryRow("clerk_total", name.text(lang), "", "", clerk.takings))
    rows.append(SummaryRow("total", t["grand_total"], "", "", summary.total))
    rows.append(SummaryRow("corrections", t["of_which"], "", "", summary.corrections))
    return rows


class DaySummaryModel(QAbstractTableModel):
    """The day's summary as a small table (tens of rows: everything held in memory)."""

    KEYS = (
        "clerk",
        "service",
        "kind",
        "count",
        "government",
        "office_fee",
        "vat",
        "collected",  # for other bodies (a bill): in the total, apart from the fees
        "total",
    )
    NUMERIC = 3  # columns from here on hold numbers

    def __init__(self, lang: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lang = lang
        self._rows: list[SummaryRow] = []
        self.summary: DaySummary | None = None

    def set_summary(self, summary: DaySummary | None) -> None:
        self.beginResetModel()
        self.summary = summary
        self._rows = summary_rows(summary, self._lang) if summary else []
        self.endResetModel()

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.KEYS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            # The unit on a line of its own: narrow amount columns leave the service's
            # name room to be read whole (issue 14, item 12: names were cut off).
            return LABELS[self.KEYS[section]].text(self._lang).replace(" (", "\n(")
        return None

    def row(self, number: int) -> SummaryRow:
        return self._rows[number]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row, column = self._rows[index.row()], index.column()
        if role == Qt.ItemDataRole.ToolTipRole and column == 1 and row.service:
            return row.service  # whole, should a very long name still be cut
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return row.label
            if column == 1:
                return row.service
            if column == 2:
                return row.what
            k = row.takings
            value = (k.count, k.government, k.office, k.vat, k.collected, k.total)[
                column - self.NUMERIC
            ]
            return theme.format_number(value, self._lang)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= self.NUMERIC:
            # Units under units, whatever the direction (see ui.printing_flow).
            return int(
                Qt.AlignmentFlag.AlignRight
                | Qt.AlignmentFlag.AlignAbsolute
                | Qt.AlignmentFlag.AlignVCenter
            )
        if role == Qt.ItemDataRole.FontRole and row.kind != "line":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.BackgroundRole and row.kind != "line":
            return QBrush(QColor(theme.TEAL_LIGHT if row.kind == "total" else "#f2f4f5"))
        return None


# --- The printed report ------------------------------------------------------------------


def _table_row(
    flow: Flow,
    cells: list[str],
    widths: list[float],
    font: QFont,
    *,
    numeric_from: int,
    fill: str | None = None,
    span_first: int = 1,
) -> Item:
    """One row of the report's table: framed cells in reading order."""
    pad = flow.mm(1.2)
    placed: list[tuple[float, float, Any, float]] = []  # x offset, width, layout, height
    offset = 0.0
    column = 0
    for i, text in enumerate(cells):
        span = span_first if i == 0 else 1
        width = sum(widths[column : column + span])
        align = "right" if column >= numeric_from else "start"
        layout, height = flow.layout(text, font, width - 2 * pad, align=align)
        x = flow.width - offset - width if flow.rtl else offset
        placed.append((x, width, layout, height))
        offset += width
        column += span
    row_height = max(h for *_, h in placed) + 2 * pad
    pen = QPen(QColor("#555555"), flow.mm(0.2))

    def draw(p: QPainter, x: float, y: float) -> None:
        p.save()
        p.setPen(pen)
        for cx, width, _, _ in placed:
            rect = QRectF(x + cx, y, width, row_height)
            if fill:
                p.fillRect(rect, QColor(fill))
            p.drawRect(rect)
        p.restore()
        for cx, _, layout, _ in placed:
            layout.draw(p, QPointF(x + cx + pad, y + pad))

    return Item(row_height, draw)


def summary_flow(flow: Flow, summary: DaySummary, *, lang: str, page: str, printed_at: str) -> None:
    """The report: heading, one table (a block per clerk), totals, signature lines."""
    t = {k: m.text(lang) for k, m in LABELS.items()}
    base = 8.0 if page == "a5" else 9.0
    bold = QFont.Weight.Bold
    scope = (
        t["scope_all"]
        if summary.clerk_id is None
        else next((c.clerk_name for c in summary.clerks), "")
    )
    flow.paragraph(summary.office_name, make_font(base + 5, bold))
    flow.paragraph(
        f"{t['report_title']} · {summary.jalali_text(lang)}",
        make_font(base + 2, bold),
        space=flow.mm(1),
    )
    # The office code is an identifier, isolated like every other (rules.bidi). A date
    # and time stay in the line's own direction: read from the right, the date comes first.
    line = f"{t['office']}: {theme.identifier(summary.office_code, lang)} · {scope}"
    if printed_at:
        line += f" · {t['printed_at']}: {printed_at}"
    flow.paragraph(line, make_font(base), space=flow.mm(1))
    flow.rule()

    # service | count | government | office | VAT | collected | total (clerk heads a block)
    fractions = [0.25, 0.07, 0.14, 0.13, 0.12, 0.14, 0.15]
    widths = [flow.width * f for f in fractions]
    regular, strong = make_font(base), make_font(base, bold)
    titles = [t["service"], t["count"], t["government"], t["office_fee"], t["vat"]]
    titles += [t["collected"], t["total"]]
    header = _table_row(flow, titles, widths, strong, numeric_from=99, fill="#e6e9eb")
    flow.items.append(Item(header.height, header.draw, space_before=flow.mm(1)))

    def numbers(k: Takings) -> list[str]:
        return [
            theme.format_number(v, lang)
            for v in (k.count, k.government, k.office, k.vat, k.collected, k.total)
        ]

    def add(item: Item) -> None:
        item.header = header
        flow.items.append(item)

    for clerk in summary.clerks:
        add(
            _table_row(
                flow,
                [f"{t['clerk']}: {clerk.clerk_name}"],
                widths,
                strong,
                numeric_from=99,
                fill="#f4f6f7",
                span_first=len(widths),
            )
        )
        for entry in (x for x in summary.lines if x.clerk_id == clerk.clerk_id):
            title = entry.service_title.text(lang)
            if entry.correction:
                title += f" ({t['correction']})"
            add(_table_row(flow, [title, *numbers(entry.takings)], widths, regular, numeric_from=1))
        name = LABELS["clerk_total"].format(name=Message(clerk.clerk_name, clerk.clerk_name))
        add(
            _table_row(
                flow, [name.text(lang), *numbers(clerk.takings)], widths, strong, numeric_from=1
            )
        )
    add(
        _table_row(
            flow,
            [t["grand_total"], *numbers(summary.total)],
            widths,
            strong,
            numeric_from=1,
            fill="#dfeeeb",
        )
    )
    add(
        _table_row(
            flow, [t["of_which"], *numbers(summary.corrections)], widths, regular, numeric_from=1
        )
    )

    sign = make_font(base)
    dots = "." * 40
    for label in (t["sign_clerk"], t["sign_manager"]):
        flow.paragraph(f"{label}: {dots}", sign, align="start", space=flow.mm(9))


SUMMARY_PAGES = {"a4": QPageSize.PageSizeId.A4, "a5": QPageSize.PageSizeId.A5}


def render_summary(
    summary: DaySummary,
    device: QPagedPaintDevice,
    *,
    page: str = "a4",
    lang: str = "fa",
    printed_at: str = "",
) -> int:
    """Paint the report on A4 or A5 portrait, page numbers at the foot; returns pages."""
    size = QPageSize(SUMMARY_PAGES[page]).size(QPageSize.Unit.Millimeter)
    margin_mm = 12.0 if page == "a4" else 9.0
    flow = Flow(device, 0.0, rtl=lang == "fa")
    flow.width = flow.mm(size.width() - 2 * margin_mm)
    summary_flow(flow, summary, lang=lang, page=page, printed_at=printed_at)
    margin = flow.mm(margin_mm)
    foot = flow.mm(7)
    pages = flow.pages(flow.mm(size.height()) - 2 * margin - foot)
    footer_font = make_font(7.5)
    painter = begin_painting(device, size.width(), size.height(), f"Pishkhan day close {page}")
    try:
        for number, placed in enumerate(pages):
            if number:
                device.newPage()
            for y, item in placed:
                item.draw(painter, margin, margin + y)
            text = (
                Message("صفحهٔ {n} از {count}", "Page {n} of {count}")
                .format(n=number + 1, count=len(pages))
                .text(lang)
            )
            layout, _ = flow.layout(text, footer_font, flow.width, align="center")
            layout.draw(painter, QPointF(margin, flow.mm(size.height()) - margin - foot / 2))
    finally:
        painter.end()
    return len(pages)


def render_summary_pdf(
    summary: DaySummary,
    path: Path | str,
    *,
    page: str = "a4",
    lang: str = "fa",
    printed_at: str = "",
) -> Path:
    return write_pdf(
        path,
        f"Pishkhan day close {summary.day.isoformat()}",
        lambda w: render_summary(summary, w, page=page, lang=lang, printed_at=printed_at),
    )


# --- The dialog --------------------------------------------------------------------------


def tehran_today() -> dt.date:
    return dt.datetime.now(TEHRAN).date()


class DayCloseDialog(QDialog):
    """Pick a day (and a clerk, for a manager); see, print, export and close it."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._lang = ctx.lang
        self._generation = 0  # results of superseded queries are dropped
        self._notice = ""  # said once, with the next summary shown
        self.loaded_summary: DaySummary | None = None
        self.setWindowTitle(self.tr("Close the day"))
        self.setLayoutDirection(theme.layout_direction(self._lang))
        self.setMinimumSize(860, 520)

        self.date_edit = QDateEdit(self)
        self.date_edit.setCalendar(QCalendar(QCalendar.System.Jalali))
        self.date_edit.setLocale(theme.locale_for(self._lang))
        # FACTS: in a right-to-left window a date edit shows dd/MM/yyyy reversed.
        self.date_edit.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        # Under a right-to-left application Qt also mirrors the display format's sections,
        # whatever the widget's own direction: ask for the mirror so the year comes first.
        self.date_edit.setDisplayFormat("yyyy/MM/dd")
        if self.date_edit.sectionAt(0) != QDateEdit.Section.YearSection:
            self.date_edit.setDisplayFormat("dd/MM/yyyy")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setCalendarWidget(JalaliCalendar(self._lang, self.date_edit))
        theme.tab_leaves(self.date_edit)
        today = tehran_today()
        self.date_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.date_edit.setDate(QDate(today.year, today.month, today.day))
        self.weekday = QLabel(self)

        self.clerk_combo = QComboBox(self)
        clerk = ctx.clerk
        if clerk is not None and not clerk.is_manager:
            # A clerk closes and sees only their own day.
            self.clerk_combo.addItem(clerk.display_name, clerk.id)
            self.clerk_combo.setEnabled(False)
        else:
            self.clerk_combo.addItem(LABELS["scope_all"].text(self._lang), None)

        self.model = DaySummaryModel(self._lang, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(False)
        self.table.verticalHeader().setVisible(False)
        theme.configure_table(self.table)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        # A service name wraps to a second line rather than losing its end on a 1024 px
        # screen (issue 14, item 12); the table holds a day's few rows, so measuring
        # each row's height is cheap here, unlike the queue's.
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

        self.totals = QLabel(self)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        theme.set_role(self.totals, "note")
        self.status = QLabel(self)
        theme.set_role(self.status, "help")

        self.page_combo = QComboBox(self)
        self.page_combo.addItem("A4", "a4")
        self.page_combo.addItem("A5", "a5")
        self.print_button = QPushButton(self.tr("Print summary…"), self)
        self.pdf_button = QPushButton(self.tr("Save as PDF…"), self)
        self.csv_button = QPushButton(self.tr("Export CSV…"), self)
        self.csv_button.setToolTip(EXPORT_IS_PLAIN.text(self._lang))
        self.close_day_button = QPushButton(self.tr("Close the day"), self)
        theme.set_flag(self.close_day_button, "primary", True)
        done = QPushButton(self.tr("Done"), self)

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Day:"), self))
        top.addWidget(self.date_edit)
        top.addWidget(self.weekday)
        top.addSpacing(16)
        top.addWidget(QLabel(self.tr("Clerk:"), self))
        top.addWidget(self.clerk_combo)
        top.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.page_combo)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addWidget(self.csv_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_day_button)
        buttons.addWidget(done)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.date_edit.dateChanged.connect(self.reload)
        self.clerk_combo.currentIndexChanged.connect(self.reload)
        self.print_button.clicked.connect(self.print_summary)
        self.pdf_button.clicked.connect(self.save_pdf)
        self.csv_button.clicked.connect(self.export)
        self.close_day_button.clicked.connect(self.close_the_day)
        done.clicked.connect(self.accept)
        self._set_busy(True)
        if clerk is None or clerk.is_manager:
            ctx.worker.submit(ctx.clerks.list, on_result=self._add_clerks, on_error=self._failed)
        self.reload()

    # --- Reading ------------------------------------------------------------------------

    @property
    def day(self) -> dt.date:
        chosen = self.date_edit.date()
        return dt.date(chosen.year(), chosen.month(), chosen.day())  # Gregorian parts

    def set_day(self, day: dt.date) -> None:
        self.date_edit.setDate(QDate(day.year, day.month, day.day))

    @property
    def clerk_id(self) -> int | None:
        value = self.clerk_combo.currentData()
        return int(value) if value is not None else None

    def _add_clerks(self, clerks: list[ClerkInfo]) -> None:
        for clerk in clerks:
            self.clerk_combo.addItem(clerk.display_name, clerk.id)

    def reload(self) -> None:
        """Read the summary of the chosen day and clerk on the worker."""
        self._generation += 1
        generation, day, store = self._generation, self.day, self._ctx.store
        self.weekday.setText(
            jalali_date(dt.datetime.combine(day, dt.time(12), tzinfo=TEHRAN), self._lang).split(
                " "
            )[0]
        )
        try:
            clerk_id = (
                visible_clerk(self._ctx.clerk, self.clerk_id) if self._ctx.clerk else self.clerk_id
            )
        except Exception as exc:
            self._failed(exc)
            return
        self._set_busy(True)

        def read() -> tuple[DaySummary, int]:
            return day_summary(store, day, clerk_id), times_closed(store, day, clerk_id)

        def show(result: tuple[DaySummary, int]) -> None:
            if generation == self._generation:
                self._show(*result)

        self._ctx.worker.submit(read, on_result=show, on_error=self._failed)

    def _show(self, summary: DaySummary, closes: int) -> None:
        self.loaded_summary = summary
        self.model.set_summary(summary)
        k, c = summary.total, summary.corrections
        lang = self._lang
        text = self.tr("Total taken: %1 — %2 requests, of which %3 corrections (%4)")
        for marker, value in (
            ("%1", theme.format_money(k.total, lang)),
            ("%2", theme.format_number(k.count, lang)),
            ("%3", theme.format_number(c.count, lang)),
            ("%4", theme.format_money(c.total, lang)),
        ):
            text = text.replace(marker, value)
        if k.collected:  # the total holds it: say how much of it was not fees
            text += f" · {LABELS['collected'].text(lang)}: {theme.format_money(k.collected, lang)}"
        self.totals.setText(text)
        state = (
            self.tr("This day has not been closed yet.")
            if closes == 0
            else self.tr(
                "Closed %1 time(s) already; closing again records the new totals."
            ).replace("%1", theme.format_number(closes, lang))
        )
        self.status.setText(f"{self._notice} {state}".strip())
        self._notice = ""
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.print_button, self.pdf_button, self.csv_button, self.close_day_button):
            button.setEnabled(not busy)

    def _failed(self, exc: BaseException) -> None:
        self._set_busy(self.loaded_summary is None)
        show_error(self, exc, self._lang)

    # --- Printing, export, close -------------------------------------------------------

    def _now_text(self) -> str:
        now = dt.datetime.now(dt.UTC)
        return f"{jalali_date(now, self._lang)} {local_time(now, self._lang)}"

    def _audit_export(self, summary: DaySummary, how: str) -> None:
        store, clerk = self._ctx.store, self._ctx.clerk
        self._ctx.worker.submit(
            lambda: record_export(store, clerk, summary, how=how), on_error=self._failed
        )

    def print_summary(self) -> None:
        summary = self.loaded_summary
        if summary is None:
            return
        page = str(self.page_combo.currentData())
        printer = choose_printer(self, self._ctx, QPageSize(SUMMARY_PAGES[page]))
        if printer is None:
            return
        try:
            render_summary(
                summary, printer, page=page, lang=self._lang, printed_at=self._now_text()
            )
        except Exception as exc:
            self._failed(exc)
            return
        self._audit_export(summary, "paper")
        self.status.setText(self.tr("The summary was sent to the printer."))

    def _ask_path(self, title: str, suffix: str, filter_text: str) -> Path | None:
        summary = self.loaded_summary
        if summary is None:
            return None
        name = f"pishkhan-day-{summary.jalali.replace('/', '-')}.{suffix}"
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), filter_text)
        if not path:
            return None
        target = Path(path)
        return target if target.suffix else target.with_suffix(f".{suffix}")

    def save_pdf(self) -> None:
        target = self._ask_path(self.tr("Save the summary as PDF"), "pdf", "PDF (*.pdf)")
        summary = self.loaded_summary
        if target is None or summary is None:
            return
        try:
            render_summary_pdf(
                summary,
                target,
                page=str(self.page_combo.currentData()),
                lang=self._lang,
                printed_at=self._now_text(),
            )
        except OSError as exc:
            self._file_failed(target, exc)
            return
        self._audit_export(summary, "pdf")
        self.status.setText(self.tr("Saved: %1").replace("%1", ltr(str(target))))

    def export(self) -> None:
        target = self._ask_path(self.tr("Export the summary as CSV"), "csv", "CSV (*.csv)")
        summary = self.loaded_summary
        if target is None or summary is None:
            return
        lang, store, clerk = self._lang, self._ctx.store, self._ctx.clerk

        def write() -> Path:
            export_csv(summary, target, lang)
            record_export(store, clerk, summary, how="csv")
            return target

        def written(path: Path) -> None:
            # A path reads left to right in a Persian line too (its folders may be
            # Persian: "C:\\Users\\علی\\روز.csv" reordered without the isolates).
            saved = self.tr("Saved: %1").replace("%1", ltr(str(path)))
            self.status.setText(f"{saved}\n{EXPORT_IS_PLAIN.text(self._lang)}")

        def failed(exc: BaseException) -> None:
            if isinstance(exc, OSError):
                self._file_failed(target, exc)
            else:
                self._failed(exc)

        self._ctx.worker.submit(write, on_result=written, on_error=failed)

    def _file_failed(self, target: Path, exc: OSError) -> None:
        self._failed(
            UserFacingError(
                Message(
                    fa=f"پرونده در «{ltr(str(target))}» نوشته نشد: {exc.strerror or exc}",
                    en=f"The file could not be written to {target}: {exc.strerror or exc}",
                )
            )
        )

    def close_the_day(self) -> None:
        clerk, summary = self._ctx.clerk, self.loaded_summary
        if clerk is None or summary is None:
            return
        whose = self.tr("the whole office") if clerk.is_manager else self.tr("your own requests")
        answer = QMessageBox.question(
            self,
            self.tr("Close the day"),
            self.tr("Close %1 for %2? The totals are recorded in the audit trail.")
            .replace("%1", summary.jalali_text(self._lang))
            .replace("%2", whose),
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        store, day = self._ctx.store, summary.day
        self._set_busy(True)

        def closed(_: DaySummary) -> None:
            self._notice = self.tr("The day is closed.")
            self.reload()

        self._ctx.worker.submit(
            lambda: close_day(store, clerk, day), on_result=closed, on_error=self._failed
        )


__all__ = [
    "DayCloseDialog",
    "DaySummaryModel",
    "render_summary",
    "render_summary_pdf",
    "summary_flow",
    "summary_rows",
]
