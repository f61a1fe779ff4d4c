"""The citizen's receipt: its content, its PDF in both layouts (text, QR, fonts), printing.

The PDFs are read back two ways: pypdf's own text extraction (English), and a small
reader below that places every glyph where Qt drew it (``visual_lines``). Extractors
reorder right-to-left text by their own heuristics; reading glyphs by position shows what
a citizen sees on paper, so "the reference's digits in order" is a real assertion.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import segno
from pypdf import PdfReader
from pypdf.generic import ContentStream
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QDialog
from sqlalchemy import select

from desktop.audit import Action
from desktop.db.models import AuditEvent, Request
from desktop.errors import NotFoundError
from desktop.intake import SavedRequest
from desktop.office import this_device
from desktop.receipt import (
    QR_PREFIX,
    QrCode,
    group_sheba,
    mask_card_number,
    mask_national_code,
    money,
    qr_payload,
    receipt_for,
    record_print,
)
from rules.catalog import FieldType
from rules.normalize import to_ascii_digits, to_persian_digits
from tests.ui.conftest import sample_for
from ui import printing
from ui.context import AppContext
from ui.printing_flow import PrintFailed
from ui.printing_preview import ReceiptPreview
from ui.printing_receipt import QR_BORDER, render_receipt_pdf

MM = 72 / 25.4  # PDF points per millimetre


# --- Reading a PDF the way it looks --------------------------------------------------------


def _utf16(hex_text: str) -> str:
    return bytes.fromhex(hex_text).decode("utf-16-be")


def _to_unicode(cmap: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = _utf16(dst)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for lo, hi, dst in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(\[[^\]]*\]|<[0-9A-Fa-f]+>)", block
        ):
            first, last = int(lo, 16), int(hi, 16)
            if dst.startswith("["):
                for i, item in enumerate(re.findall(r"<([0-9A-Fa-f]+)>", dst)):
                    out[first + i] = _utf16(item)
            else:
                base = int(dst[1:-1], 16)
                for i in range(last - first + 1):
                    out[first + i] = chr(base + i)
    return out


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1, 0, 0, 1, 0, 0)


def _mul(m1: Matrix, m2: Matrix) -> Matrix:
    a1, b1, c1, d1, e1, f1 = m1
    a2, b2, c2, d2, e2, f2 = m2
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def glyphs(reader: PdfReader, page_number: int = 0) -> list[tuple[float, float, str]]:
    """Every glyph as (x, y, text) in PDF points (y up), in the order Qt drew them."""
    page = reader.pages[page_number]
    fonts = {
        name: _to_unicode(font.get_object()["/ToUnicode"].get_data().decode("latin-1"))
        for name, font in page["/Resources"]["/Font"].items()
    }
    out: list[tuple[float, float, str]] = []
    ctm, stack, tm, tlm, font = IDENTITY, [], IDENTITY, IDENTITY, {}
    for operands, op in ContentStream(page.get_contents(), reader).operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            ctm = _mul(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
        elif op == b"BT":
            tm = tlm = IDENTITY
        elif op == b"Tm":
            tm = tlm = tuple(float(v) for v in operands)  # type: ignore[assignment]
        elif op == b"Td":
            tm = tlm = _mul((1, 0, 0, 1, float(operands[0]), float(operands[1])), tlm)
        elif op == b"Tf":
            font = fonts[operands[0]]
        elif op == b"Tj":
            raw: Any = operands[0]
            data = getattr(raw, "original_bytes", None) or bytes(raw)
            text = "".join(
                font.get(int.from_bytes(data[i : i + 2], "big"), "?")
                for i in range(0, len(data), 2)
            )
            where = _mul(tm, ctm)
            out.append((where[4], where[5], text))
    return out


def visual_lines(path: Path, page_number: int = 0) -> list[str]:
    """The page's text lines top to bottom, each read left to right as printed."""
    reader = PdfReader(path)
    rows: dict[int, list[tuple[float, str]]] = {}
    for x, y, text in glyphs(reader, page_number):
        rows.setdefault(round(y), []).append((x, text))
    lines = []
    for y in sorted(rows, reverse=True):
        cells = sorted(rows[y])
        line = ""
        for i, (x, text) in enumerate(cells):
            if i and x - cells[i - 1][0] > 30:  # wider than any glyph here: a column break
                line += "  "
            line += text.replace("\t", " ")
        lines.append(unicodedata.normalize("NFKC", line))
    return lines


def logical(visual: str) -> str:
    """A right-to-left line back in reading order (good for lines of Persian words)."""
    return visual[::-1]


def says(lines: list[str], phrase: str) -> bool:
    """Whether a line, read right to left, holds ``phrase``.

    Qt's ToUnicode map leaves out a few contextual forms (initial پ, ت, ی, م: shown "?"),
    so those letters match anything; the others must all be there, in order.
    """
    for line in map(logical, lines):
        for start in range(len(line) - len(phrase) + 1):
            window = line[start : start + len(phrase)]
            unknown = window.count("?")
            if unknown <= len(phrase) // 3 and all(
                a == b or a == "?" for a, b in zip(window, phrase, strict=True)
            ):
                return True
    return False


# --- Fixtures ------------------------------------------------------------------------------


@pytest.fixture
def saved(ui_ctx: AppContext) -> SavedRequest:
    assert ui_ctx.clerk is not None
    return ui_ctx.intake.save(ui_ctx.clerk, sample_for(ui_ctx, "smart_card", seed=7))


def _request_row(ctx: AppContext, request_id: str) -> Request:
    with ctx.store.read() as s:
        return s.scalar(select(Request).where(Request.id == request_id))


def _prints(ctx: AppContext) -> list[dict[str, Any]]:
    with ctx.store.read() as s:
        rows = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == str(Action.RECEIPT_PRINTED))
            .order_by(AuditEvent.id)
        ).all()
        return [
            {"clerk": e.clerk_id, "request": e.request_id, **json.loads(e.detail)} for e in rows
        ]


# --- Content -----------------------------------------------------------------------------


def test_masks_and_payload() -> None:
    assert mask_national_code("0012345679") == "001****679"
    assert mask_card_number("6037991234567890") == "6037-99**-****-7890"
    assert qr_payload("9b2f-uuid", "1001-3-000042", 1_995_000) == (
        "PISHKHAN:1|9b2f-uuid|1001-3-000042|1995000"
    )
    with pytest.raises(ValueError):
        qr_payload("a|b", "1001-3-000042", 1)
    assert money(1_995_000, "fa") == "۱٬۹۹۵٬۰۰۰" and money(1_995_000, "en") == "1,995,000"
    assert group_sheba("IR062960000000100324200001") == "IR06 2960 0000 0010 0324 2000 01"


def test_persian_receipt_content(ui_ctx: AppContext, saved: SavedRequest) -> None:
    req = _request_row(ui_ctx, saved.id)
    receipt = receipt_for(ui_ctx.store, saved.id, lang="fa")
    code = req.national_code
    assert receipt.national_code == to_persian_digits(f"{code[:3]}****{code[-3:]}")
    assert code not in to_ascii_digits(str(receipt.blocks()))  # never the full code
    assert receipt.reference == to_persian_digits(saved.reference)
    assert receipt.reference_raw == saved.reference
    device = this_device(ui_ctx.store)
    assert device is not None
    assert receipt.office_code == to_persian_digits(device.office_code)
    assert receipt.counter == to_persian_digits(str(device.counter_no))
    assert not any(ch in "0123456789" for ch in receipt.date + receipt.time + receipt.total_text)
    assert [(f.kind, f.amount) for f in receipt.fees] == [
        ("government", saved.fees.government),
        ("office", saved.fees.office),
        ("vat", saved.fees.vat),
    ]
    assert receipt.total == saved.fees.total
    assert receipt.total_text == money(saved.fees.total, "fa")
    assert receipt.qr_payload == f"{QR_PREFIX}|{saved.id}|{saved.reference}|{saved.fees.total}"
    assert receipt.tracking_code is None and receipt.state == "در صف ارسال"
    assert receipt.clerk == "سارا کریمی"
    assert receipt.card_ref == to_persian_digits(req.card_ref)
    # Answers are labelled from the catalogue version the request was made under.
    service = ui_ctx.catalogs.get(req.catalog_version).service("smart_card")
    answers = json.loads(req.answers_json)
    labels = [label for label, _, _ in receipt.answers]
    assert labels == [f.label.fa for f in service.fields if f.key in answers]
    request_type = service.field("request_type")
    chosen = request_type.choice(answers["request_type"])
    assert chosen is not None and (request_type.label.fa, chosen.label.fa, False) in (
        receipt.answers
    )
    postal = next(f for f in service.fields if f.type is FieldType.POSTAL_CODE)
    assert (postal.label.fa, to_persian_digits(answers[postal.key]), True) in receipt.answers
    assert not receipt.reprint and receipt.printed_at is None


def test_english_receipt_and_reprint(ui_ctx: AppContext, saved: SavedRequest) -> None:
    receipt = receipt_for(ui_ctx.store, saved.id, lang="en")
    assert receipt.reference == saved.reference and receipt.state == "Queued"
    assert receipt.label("total") == "Total paid"
    assert receipt.total_text == f"{saved.fees.total:,}"
    assert ui_ctx.clerk is not None
    record_print(ui_ctx.store, ui_ctx.clerk, saved.id, reprint=False)
    again = receipt_for(ui_ctx.store, saved.id, lang="fa")
    assert again.reprint and again.printed_at
    assert any(getattr(b, "text", "") == "رونوشت (چاپ دوباره)" for b in again.blocks())
    assert _prints(ui_ctx) == [{"clerk": ui_ctx.clerk.id, "request": saved.id, "reprint": False}]


def test_unknown_request_is_a_user_facing_error(ui_ctx: AppContext) -> None:
    with pytest.raises(NotFoundError):
        receipt_for(ui_ctx.store, "no-such-request", lang="fa")


# --- The PDF ------------------------------------------------------------------------------


def _digits_of(lines: list[str]) -> list[str]:
    return [to_ascii_digits(line) for line in lines]


@pytest.mark.parametrize("layout", ["80mm", "a5"])
def test_receipt_pdf_shows_the_reference_in_order_in_vazirmatn(
    ui_ctx: AppContext, saved: SavedRequest, tmp_path: Path, layout: str
) -> None:
    receipt = receipt_for(ui_ctx.store, saved.id, lang="fa")
    path = render_receipt_pdf(receipt, tmp_path / f"r-{layout}.pdf", layout)
    reader = PdfReader(path)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    width_mm, height_mm = float(box.width) / MM, float(box.height) / MM
    if layout == "80mm":
        assert round(width_mm) == 80 and height_mm > 150  # a roll, as long as the content
    else:
        assert (round(width_mm), round(height_mm)) == (148, 210)
    fonts = {
        str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert fonts and all(name.startswith("/Vazirmatn") for name in fonts), fonts

    lines = visual_lines(path)
    ascii_lines = _digits_of(lines)
    # Persian digits, and on paper in the order the citizen reads them.
    assert any(to_persian_digits(saved.reference) in line for line in lines)
    assert any(saved.reference in line for line in ascii_lines)
    req = _request_row(ui_ctx, saved.id)
    masked = mask_national_code(req.national_code)
    assert any(to_persian_digits(masked) in line for line in lines)
    assert not any(req.national_code in line for line in ascii_lines)
    assert any(money(saved.fees.total, "fa") in line for line in lines)
    # The Persian words come out shaped (presentation forms, normalised back by NFKC) and,
    # read right to left, say what the receipt says.
    assert says(lines, "رسید ثبت درخواست")
    assert says(lines, "جمع پرداختی")
    assert not says(lines, "رسید ثبت درخواست نشد")
    # Labels stay inside the printable width: nothing drawn in the 4 mm (roll) margin.
    margin = 4 * MM if layout == "80mm" else 10 * MM
    xs = [x for x, _, _ in glyphs(reader)]
    assert min(xs) >= margin - 0.5 and max(xs) <= float(box.width) - margin + 0.5


def test_english_pdf_reads_with_a_plain_extractor(
    ui_ctx: AppContext, saved: SavedRequest, tmp_path: Path
) -> None:
    receipt = receipt_for(ui_ctx.store, saved.id, lang="en")
    pdf = render_receipt_pdf(receipt, tmp_path / "en.pdf")
    # Qt's ToUnicode maps Vazirmatn's space glyph to a tab.
    text = PdfReader(pdf).pages[0].extract_text().replace("\t", " ")
    assert saved.reference in text and f"{saved.fees.total:,}" in text
    assert "Total paid" in text


def _qr_modules(path: Path) -> list[list[bool]]:
    """The QR image of the PDF, read back module by module (True: dark)."""
    page = PdfReader(path).pages[0]
    images = [
        x.get_object()
        for x in page["/Resources"]["/XObject"].values()
        if x.get_object()["/Subtype"] == "/Image"
    ]
    assert len(images) == 1
    image = images[0]
    # Stored losslessly, one bit a pixel: no JPEG fringes around the modules.
    assert image["/BitsPerComponent"] == 1 and image["/ColorSpace"] == "/DeviceGray"
    assert image["/Filter"] != "/DCTDecode"
    width, height, data = int(image["/Width"]), int(image["/Height"]), image.get_data()
    assert width == height
    stride = (width + 7) // 8

    def dark(x: int, y: int) -> bool:
        return not (data[y * stride + x // 8] >> (7 - x % 8)) & 1  # 0 is black in DeviceGray

    return [[dark(x, y) for x in range(width)] for y in range(height)]


@pytest.mark.parametrize("layout", ["80mm", "a5"])
def test_the_qr_code_drawn_is_the_payloads(
    ui_ctx: AppContext, saved: SavedRequest, tmp_path: Path, layout: str
) -> None:
    receipt = receipt_for(ui_ctx.store, saved.id, lang="fa")
    (qr_block,) = [b for b in receipt.blocks() if isinstance(b, QrCode)]
    assert qr_block.payload == receipt.qr_payload
    pixels = _qr_modules(render_receipt_pdf(receipt, tmp_path / "qr.pdf", layout))
    expected = segno.make(receipt.qr_payload, error="m", micro=False)
    rows = [[bool(v) for v in row] for row in expected.matrix]
    modules = len(rows) + 2 * QR_BORDER
    scale = len(pixels) // modules
    assert scale * modules == len(pixels) and scale >= 4  # whole pixels a module
    # Sample the centre of every module, quiet zone included.
    seen = [
        [
            pixels[(j + QR_BORDER) * scale + scale // 2][(i + QR_BORDER) * scale + scale // 2]
            for i in range(len(rows))
        ]
        for j in range(len(rows))
    ]
    assert seen == rows
    assert not any(pixels[y][x] for y in range(QR_BORDER * scale) for x in range(len(pixels)))


# --- print_receipt: PDF and paper, audited ---------------------------------------------------


class FakePrintDialog:
    """Stands in for the modal QPrintDialog: 'chooses' a printer that writes a PDF."""

    answer: ClassVar[QDialog.DialogCode] = QDialog.DialogCode.Accepted
    output: ClassVar[Path | None] = None
    seen: ClassVar[list[QPrinter]] = []

    def __init__(self, printer: QPrinter, parent: object = None) -> None:
        self.printer = printer
        FakePrintDialog.seen.append(printer)

    def exec(self) -> QDialog.DialogCode:
        if self.output is not None:
            self.printer.setOutputFileName(str(self.output))
        return self.answer


@pytest.fixture
def fake_dialog(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[type]:
    FakePrintDialog.answer = QDialog.DialogCode.Accepted
    FakePrintDialog.output = tmp_path / "paper.pdf"
    FakePrintDialog.seen = []
    monkeypatch.setattr(printing, "QPrintDialog", FakePrintDialog)
    yield FakePrintDialog


def test_print_to_pdf_records_the_print_then_a_reprint(
    qtbot: Any, ui_ctx: AppContext, saved: SavedRequest, tmp_path: Path
) -> None:
    done: list[Path | None] = []
    first = tmp_path / "first.pdf"
    printing.print_receipt(None, ui_ctx, saved.id, to_pdf=first, on_done=done.append)
    qtbot.waitUntil(lambda: done == [first], timeout=10_000)
    assert first.stat().st_size > 0
    assert not says(visual_lines(first), "رونوشت")
    second = tmp_path / "second.pdf"
    printing.print_receipt(None, ui_ctx, saved.id, to_pdf=second, on_done=done.append)
    qtbot.waitUntil(lambda: len(done) == 2, timeout=10_000)
    assert says(visual_lines(second), "رونوشت")
    assert ui_ctx.clerk is not None
    assert _prints(ui_ctx) == [
        {"clerk": ui_ctx.clerk.id, "request": saved.id, "reprint": False, "layout": "80mm"},
        {"clerk": ui_ctx.clerk.id, "request": saved.id, "reprint": True, "layout": "80mm"},
    ]


def test_paper_goes_through_the_print_dialog_in_the_configured_layout(
    qtbot: Any, ui_ctx: AppContext, saved: SavedRequest, fake_dialog: type
) -> None:
    ui_ctx.settings.set("receipt_layout", "a5")
    ui_ctx.settings.set("receipt_print", "dialog")
    done: list[Path | None] = []
    printing.print_receipt(None, ui_ctx, saved.id, on_done=done.append)
    qtbot.waitUntil(lambda: done == [None], timeout=10_000)
    output = fake_dialog.output
    assert output is not None and output.exists()
    box = PdfReader(output).pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (148, 210)
    assert any(to_persian_digits(saved.reference) in line for line in visual_lines(output))
    assert [p["layout"] for p in _prints(ui_ctx)] == ["a5"]


def test_a_cancelled_print_dialog_prints_and_records_nothing(
    qtbot: Any, ui_ctx: AppContext, saved: SavedRequest, fake_dialog: type
) -> None:
    fake_dialog.answer = QDialog.DialogCode.Rejected
    done: list[Path | None] = []
    printing.print_receipt(None, ui_ctx, saved.id, on_done=done.append, mode="dialog")
    # The dialog runs inside the receipt's result callback; once it has been seen and the
    # worker is idle, anything the print would have queued has run.
    qtbot.waitUntil(lambda: len(fake_dialog.seen) == 1, timeout=10_000)
    qtbot.waitUntil(lambda: not ui_ctx.worker.busy, timeout=10_000)
    assert done == [] and _prints(ui_ctx) == []
    output = fake_dialog.output
    assert output is not None and not output.exists()


def test_a_printer_that_cannot_start_is_reported_and_nothing_is_recorded(
    qtbot: Any,
    ui_ctx: AppContext,
    saved: SavedRequest,
    fake_dialog: type,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    fake_dialog.output = tmp_path / "no-such-folder" / "paper.pdf"  # QPainter.begin fails
    shown: list[BaseException] = []
    monkeypatch.setattr(printing, "show_error", lambda parent, exc, lang: shown.append(exc))
    printing.print_receipt(None, ui_ctx, saved.id, mode="dialog")
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=10_000)
    assert isinstance(shown[0], PrintFailed)
    assert "چاپگر" in shown[0].message.fa
    qtbot.waitUntil(lambda: not ui_ctx.worker.busy, timeout=10_000)
    assert _prints(ui_ctx) == []


def test_a_missing_request_is_shown_as_an_error(
    qtbot: Any, ui_ctx: AppContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    shown: list[BaseException] = []
    monkeypatch.setattr(printing, "show_error", lambda parent, exc, lang: shown.append(exc))
    printing.print_receipt(None, ui_ctx, "no-such-request", to_pdf=tmp_path / "x.pdf")
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=10_000)
    assert isinstance(shown[0], NotFoundError)
    assert not (tmp_path / "x.pdf").exists() and _prints(ui_ctx) == []


# --- Ctrl+P as the manager set it: a preview first, or straight to the printer -------------


def pdf_printers(folder: Path) -> tuple[Callable[[], QPrinter], list[Path]]:
    """A printer factory (as the settings' printer would be made) writing numbered PDFs."""
    made: list[Path] = []

    def make() -> QPrinter:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        path = folder / f"printer-{len(made)}.pdf"
        printer.setOutputFileName(str(path))
        made.append(path)
        return printer

    return make, made


def shown_preview() -> ReceiptPreview | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, ReceiptPreview) and widget.isVisible():
            return widget
    return None


def open_preview(qtbot: Any) -> ReceiptPreview:
    """The preview print_receipt opened (it deletes itself once closed)."""
    qtbot.waitUntil(lambda: shown_preview() is not None, timeout=10_000)
    preview = shown_preview()
    assert preview is not None
    return preview


def test_direct_printing_goes_to_the_printer_with_no_dialog_between(
    qtbot: Any, ui_ctx: AppContext, saved: SavedRequest, fake_dialog: type, tmp_path: Path
) -> None:
    ui_ctx.settings.set("receipt_print", "direct")
    make, made = pdf_printers(tmp_path)
    done: list[Path | None] = []
    printing.print_receipt(None, ui_ctx, saved.id, on_done=done.append, printer=make)
    qtbot.waitUntil(lambda: done == [None], timeout=10_000)
    assert fake_dialog.seen == [] and len(made) == 1
    assert any(to_persian_digits(saved.reference) in line for line in visual_lines(made[0]))
    assert [p["reprint"] for p in _prints(ui_ctx)] == [False]


@pytest.mark.parametrize("layout", ["80mm", "a5"])
def test_the_preview_shows_the_receipt_and_enter_prints_it(
    qtbot: Any, ui_ctx: AppContext, saved: SavedRequest, tmp_path: Path, layout: str
) -> None:
    assert printing.print_mode_setting(ui_ctx) == "preview"  # the default
    ui_ctx.settings.set("receipt_layout", layout)
    make, made = pdf_printers(tmp_path)
    done: list[Path | None] = []
    printing.print_receipt(None, ui_ctx, saved.id, on_done=done.append, printer=make)
    preview = open_preview(qtbot)
    assert preview.page_count == 1  # a roll is one long page; A5 holds the whole receipt
    assert done == [] and _prints(ui_ctx) == []  # nothing printed yet
    assert preview.print_button.isDefault()
    qtbot.keyClick(preview, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: done == [None], timeout=10_000)
    assert shown_preview() is None
    paper = made[-1]
    assert len(made) == 2 and paper.exists()  # the preview's printer, then the paper's
    box = PdfReader(paper).pages[0].mediabox
    width_mm = round(float(box.width) / MM)
    assert width_mm == (80 if layout == "80mm" else 148)
    assert [p["layout"] for p in _prints(ui_ctx)] == [layout]


def test_closing_the_preview_prints_and_records_nothing(
    qtbot: Any, ui_ctx: AppContext, saved: SavedRequest, tmp_path: Path
) -> None:
    make, made = pdf_printers(tmp_path)
    done: list[Path | None] = []
    printing.print_receipt(None, ui_ctx, saved.id, on_done=done.append, printer=make)
    preview = open_preview(qtbot)
    qtbot.keyClick(preview, Qt.Key.Key_Escape)
    assert shown_preview() is None
    qtbot.waitUntil(lambda: not ui_ctx.worker.busy, timeout=10_000)
    assert done == [] and _prints(ui_ctx) == []
    assert len(made) == 1 and not made[0].exists()  # the preview wrote no file


def test_a_printer_failing_under_the_preview_is_said_and_the_preview_stays(
    qtbot: Any,
    ui_ctx: AppContext,
    saved: SavedRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[BaseException] = []
    monkeypatch.setattr(printing, "show_error", lambda parent, exc, lang: shown.append(exc))
    make, _ = pdf_printers(tmp_path / "no-such-folder")  # QPainter.begin fails on it
    printing.print_receipt(None, ui_ctx, saved.id, printer=make)
    preview = open_preview(qtbot)
    preview.print_button.click()
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=10_000)
    assert isinstance(shown[0], PrintFailed)
    assert preview.isVisible()  # the clerk can switch the printer on and press Enter again
    qtbot.waitUntil(lambda: not ui_ctx.worker.busy, timeout=10_000)
    assert _prints(ui_ctx) == []
    preview.reject()
