"""The counter shows each request's documents: queue, detail view and receipt.

A real store in tmp_path (the UI fixtures' office), requests saved with scans through the
real intake, parts marked sent as the uploader marks them; the queue model and the detail
dialog are the real widgets, the receipt the one printed.
"""

from __future__ import annotations

import dataclasses
import random

from pytestqt.qtbot import QtBot

from desktop.queue import QueueFilter
from desktop.receipt import Heading, Row, receipt_for
from desktop.samples import sample_draft
from desktop.scans.attach import DocumentScan
from desktop.scans.budgets import ScanKind
from desktop.scans.outbox import ScanOutbox
from desktop.scans.shrink import JPEG, ShrunkPart
from desktop.states import State
from tests.scans.scan_catalog import publish_with_scans
from tests.ui.conftest import (
    make_ctx,
    office_store,
    persian_ui,
    store_templates,
    themed_app,
    ui_ctx,
    ui_data_dir,
)
from ui.context import AppContext
from ui.detail import RequestDetailDialog
from ui.queue_model import Column, QueueModel

__all__ = [  # the UI fixtures, used here
    "make_ctx",
    "office_store",
    "persian_ui",
    "store_templates",
    "themed_app",
    "ui_ctx",
    "ui_data_dir",
]

SERVICE = "self_employed_insurance"


def _save(ctx: AppContext, parts: list[tuple[str, int]]) -> str:
    """A request with one part per (document, pages), each of different bytes."""
    service = publish_with_scans(ctx.catalogs).service(SERVICE)
    rng = random.Random(len(parts))
    scans = [
        DocumentScan(doc, ScanKind.DOCUMENT, ShrunkPart(JPEG, rng.randbytes(2_000), pages, 1, 1))
        for doc, pages in parts
    ]
    draft = dataclasses.replace(sample_draft(service, rng), scans=scans)
    assert ctx.clerk is not None
    return ctx.intake.save(ctx.clerk, draft).id


def _save_text(ctx: AppContext) -> str:
    assert ctx.clerk is not None
    draft = sample_draft(ctx.catalogs.current().service("bill_payment"), random.Random(9))
    return ctx.intake.save(ctx.clerk, draft).id


def _mark_first_sent(ctx: AppContext, request_id: str, n: int) -> None:
    outbox = ScanOutbox(ctx.store, ctx.intake.scans)
    for blob in outbox.waiting(100)[:n]:
        outbox.mark_sent(blob.sha256)
    assert outbox.progress(request_id)[0] == n


def test_the_queue_row_says_how_many_documents_are_sent(qtbot: QtBot, ui_ctx: AppContext) -> None:
    request_id = _save(
        ui_ctx, [("national_card", 1), ("birth_certificate", 2), ("job_evidence", 1)]
    )
    _mark_first_sent(ui_ctx, request_id, 1)
    text_only = _save_text(ui_ctx)
    model = QueueModel(ui_ctx)
    try:
        with qtbot.waitSignal(model.loaded, timeout=20_000):
            model.set_filter(QueueFilter())
        shown = {
            model.request_id(r): model.index(r, Column.STATE).data()
            for r in range(model.rowCount())
        }
    finally:
        model.close()
        ui_ctx.worker.wait_idle()
    assert shown[request_id] == "در صف ارسال · مدارک: ۱ از ۳ فرستاده شد"
    assert shown[text_only] == "در صف ارسال"  # no scans: no documents line


def test_the_detail_view_lists_the_scans_with_pages_and_the_sent_count(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    request_id = _save(ui_ctx, [("national_card", 1), ("national_card", 2), ("job_evidence", 3)])
    _mark_first_sent(ui_ctx, request_id, 2)
    dialog = RequestDetailDialog(ui_ctx, request_id)
    qtbot.addWidget(dialog)
    dialog.show()
    service = ui_ctx.catalogs.current().service(SERVICE)
    labels = {d.key: d.label.fa for d in service.documents}
    assert dialog.values["scans"].text().splitlines() == [
        f"▤  {labels['national_card']}: ۳ صفحه",
        f"▤  {labels['job_evidence']}: ۳ صفحه",
    ]
    assert dialog.values["documents_sent"].text() == "مدارک: ۲ از ۳ فرستاده شد"
    assert ui_ctx.queries.detail(request_id).row.state == State.QUEUED  # type: ignore[union-attr]


def test_the_detail_view_in_english_says_1_page_and_3_pages(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    request_id = _save(ui_ctx, [("national_card", 1), ("job_evidence", 3)])
    ui_ctx.lang_override = "en"
    dialog = RequestDetailDialog(ui_ctx, request_id)
    qtbot.addWidget(dialog)
    dialog.show()
    service = ui_ctx.catalogs.current().service(SERVICE)
    labels = {d.key: d.label.en for d in service.documents}
    assert dialog.values["scans"].text().splitlines() == [
        f"▤  {labels['national_card']}: 1 page",
        f"▤  {labels['job_evidence']}: 3 pages",
    ]


def test_the_receipt_lists_the_documents_scanned_and_their_pages(ui_ctx: AppContext) -> None:
    request_id = _save(ui_ctx, [("birth_certificate", 2), ("national_card", 1)])
    service = ui_ctx.catalogs.current().service(SERVICE)
    labels = {d.key: d.label for d in service.documents}
    english = receipt_for(ui_ctx.store, request_id, lang="en")
    assert english.scans == (
        (labels["birth_certificate"].en, "2 pages"),
        (labels["national_card"].en, "1 page"),
    )
    blocks = english.blocks()
    heading = blocks.index(Heading("Documents scanned", "small"))
    assert blocks[heading + 1 : heading + 3] == [
        Row(labels["birth_certificate"].en, "2 pages"),
        Row(labels["national_card"].en, "1 page"),
    ]
    persian = receipt_for(ui_ctx.store, request_id, lang="fa")
    assert persian.scans[0] == (labels["birth_certificate"].fa, "۲ صفحه")
    text_only = _save_text(ui_ctx)
    plain = receipt_for(ui_ctx.store, text_only, lang="en")
    assert plain.scans == () and Heading("Documents scanned", "small") not in plain.blocks()
