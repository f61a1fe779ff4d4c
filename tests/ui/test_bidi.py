"""Every place that shows a reference (or another identifier) isolates it for bidi.

Issue 14, item 4: the save message showed "۰۰۰۰۲۷-۱-۱۰۰۱" for "۱۰۰۱-۱-۰۰۰۰۲۷". The
text each place renders is read back and must hold the token inside rules.bidi's
isolates; the store, the intake and the receipt builder are the real ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtGui import QFont, QImage, QTextDocument
from pytestqt.qtbot import QtBot

from desktop.dayclose import day_summary
from desktop.db.engine import Store
from desktop.queue import QueueFilter
from desktop.receipt import Row, receipt_for
from rules.bidi import LRI, PDI, is_isolated, ltr, strip_isolates
from rules.normalize import to_persian_digits
from tests.ui.conftest import CLERK_USER, MANAGER_USER, MakeCtx, fill_form, sample_for
from ui.context import AppContext
from ui.dayclose_dialog import summary_flow
from ui.detail import RequestDetailDialog
from ui.printing_flow import Flow
from ui.queue_model import Column, QueueModel
from ui.request_form import RequestForm


def plain(rich: str) -> str:
    """What a rich-text label shows, as plain text."""
    doc = QTextDocument()
    doc.setHtml(rich)
    return doc.toPlainText()


def test_ltr_wraps_once_and_leaves_empty_alone() -> None:
    assert ltr("1001-1-27") == f"{LRI}1001-1-27{PDI}"
    assert ltr(ltr("1001-1-27")) == ltr("1001-1-27")
    assert ltr("") == ""
    assert strip_isolates(f"x {ltr('12-3')} y") == "x 12-3 y"
    assert is_isolated(f"x {ltr('12-3')}", "12-3") and not is_isolated("x 12-3", "12-3")


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_view_of_a_saved_request_isolates_its_reference(
    qtbot: QtBot, make_ctx: MakeCtx, office_store: Store, lang: str
) -> None:
    ctx: AppContext = make_ctx(office_store, clerk=CLERK_USER, lang=lang)
    form = RequestForm(ctx)
    qtbot.addWidget(form)
    draft = sample_for(ctx, "criminal_record")
    fill_form(form, draft)
    with qtbot.waitSignal(form.saved, timeout=5000) as signal:
        form.save()
    saved = signal.args[0]
    shown = to_persian_digits(saved.reference) if lang == "fa" else saved.reference

    # The save message the clerk reads to the citizen.
    assert is_isolated(plain(form.result_text.text()), shown)

    # The queue's row.
    model = QueueModel(ctx)
    model.set_filter(QueueFilter())
    qtbot.waitUntil(lambda: model.rowCount() == 1 and model.index(0, 0).data() is not None)
    assert model.index(0, Column.REFERENCE).data() == ltr(shown)
    for column in (Column.NATIONAL_CODE, Column.MOBILE):
        text = str(model.index(0, column).data())
        assert text.startswith(LRI) and text.endswith(PDI), (column, text)
    model.close()

    # The detail view: header, references block, identifiers.
    dialog = RequestDetailDialog(ctx, saved.id)
    qtbot.addWidget(dialog)
    for key in (
        "reference",
        "provisional_reference",
        "applicant.national_code",
        "applicant.mobile",
    ):
        text = dialog.values[key].text()
        assert text.startswith(LRI) and text.endswith(PDI), (key, text)
    assert dialog.values["reference"].text() == ltr(shown)

    # The receipt (printed and previewed from these rows).
    receipt = receipt_for(ctx.store, saved.id, lang=lang)
    rows = [b for b in receipt.blocks() if isinstance(b, Row)]
    reference_rows = [r for r in rows if strip_isolates(r.value) == shown]
    assert reference_rows and all(r.value == ltr(shown) for r in reference_rows)
    assert all(r.value.startswith(LRI) for r in rows if r.ltr and r.value)

    # A correction names the request it replaces, isolated too.
    form.load_for_correction(saved.id)
    assert is_isolated(form.correction.text(), shown)


class RecordingFlow(Flow):
    """A real flow on an image that also keeps each paragraph's text."""

    texts: list[str]

    def paragraph(self, text: str, font: QFont, **kwargs: Any) -> None:
        self.texts.append(text)
        super().paragraph(text, font, **kwargs)


def test_the_printed_day_close_isolates_the_office_code(
    make_ctx: MakeCtx, office_store: Store
) -> None:
    ctx = make_ctx(office_store, clerk=MANAGER_USER)
    summary = day_summary(ctx.store, dt.date.today())
    image = QImage(800, 1000, QImage.Format.Format_RGB32)
    flow = RecordingFlow(image, 700.0, rtl=True)
    flow.texts = []
    printed_at = "۱۴۰۵/۰۹/۱۱ ۱۴:۳۵"
    summary_flow(flow, summary, lang="fa", page="a4", printed_at=printed_at)
    head = "\n".join(flow.texts)
    assert is_isolated(head, to_persian_digits(summary.office_code))
    assert printed_at in head and not is_isolated(head, printed_at)  # read from the right
