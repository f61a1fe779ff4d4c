"""The documents area of a real request form, for the scan UI's tests: the form on a
service that asks for scans, a file added through the area as a clerk adds one, and a
damaged PDF that opens but cannot be drawn."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.scans.scan_catalog import publish_with_scans
from ui.context import AppContext
from ui.documents_area import DocumentsArea
from ui.request_form import RequestForm

SERVICE = "self_employed_insurance"  # national_card required, three more optional


def scan_form(qtbot: QtBot, ctx: AppContext) -> RequestForm:
    publish_with_scans(ctx.catalogs)
    form = RequestForm(ctx)
    qtbot.addWidget(form)
    form.resize(1200, 900)
    form.show()
    form.picker.choose(SERVICE)
    return form


def add_scan(qtbot: QtBot, area: DocumentsArea, path: Path, data: bytes, count: int) -> None:
    path.write_bytes(data)
    area.add_file(path, "national_card")
    qtbot.waitUntil(lambda: not area.busy and len(area.pending) == count, timeout=20_000)


def page_missing_pdf() -> bytes:
    """A PDF that opens (one page counted) whose page object is not there: damaged."""
    objects = [
        (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
        (2, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"),
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in objects:
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n"
    out += b"".join(f"{at:010d} 00000 n \n".encode() for at in offsets)
    out += b"0000000000 65535 f \n"
    out += f"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
