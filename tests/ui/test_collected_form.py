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


def test_the_detail_view_shows_the_bill_apart_and_in_the_total_paid(
    qtbot: QtBot, ui_ctx: AppContext
) -> None:
    from desktop.intake import Intake, RequestDraft
    from ui.detail import RequestDetailDialog

    assert ui_ctx.clerk is not None
    draft = RequestDraft(
        "bill_payment",
        {
            "national_code": "0013542419",
            "first_name": "علی",
            "last_name": "کریمی",
            "mobile": "09121234567",
        },
        {"bill_type": "gas", "bill_id": "123456", "payment_id": "654321", "amount": "2500000"},
    )
    saved = Intake(ui_ctx.store, ui_ctx.catalogs).save(ui_ctx.clerk, draft)
    assert saved.collected == 2_500_000
    dialog = RequestDetailDialog(ui_ctx, saved.id)
    qtbot.addWidget(dialog)
    assert format_money(2_500_000, "fa") in dialog.values["collected.amount"].text()
    paid = dialog.values["fees.total"].text()
    assert format_money(saved.fees.total + 2_500_000, "fa") in paid
