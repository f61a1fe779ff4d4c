"""The request form's total holds money collected for another body (a bill), apart."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from ui.context import AppContext
from ui.request_form import RequestForm
from ui.theme import format_money


def test_a_bill_amount_is_in_the_total_and_shown_apart(qtbot: QtBot, ui_ctx: AppContext) -> None:
    form = RequestForm(ui_ctx)
    qtbot.addWidget(form)
    form.picker.choose("bill_payment")
    service = form.service
    assert service is not None and service.collected_keys == ("amount",)
    fees = service.fees_for({})
    assert format_money(fees.total, "fa") in form.fees_total.text()
    form.answer_cells["amount"].editor.set_value("2500000")
    assert format_money(fees.total + 2_500_000, "fa") in form.fees_total.text()
    detail = form.fees_detail.text()
    assert "مبلغ قبض" in detail and format_money(2_500_000, "fa") in detail
    assert format_money(fees.office, "fa") in detail  # the fees stay listed apart
