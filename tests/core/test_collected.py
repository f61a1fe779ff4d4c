"""Money collected on behalf of another body (a bill's amount): in the totals, apart from fees.

Real stores: requests saved through ``Intake``, the day close's SQL, the receipt's content,
under two catalogue versions (the field marked ``collected`` in the second only, as a
catalogue the centre corrects would): no code names the service or the field.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory
from desktop.clock import TEHRAN
from desktop.dayclose import Takings, csv_rows, day_summary, query_plan
from desktop.db.engine import Store
from desktop.intake import Intake, RequestDraft
from desktop.office import initialise
from desktop.receipt import receipt_for
from rules.catalog import Catalog, CatalogError, demo_catalog_path, load_catalog_file

FIELD = {
    "key": "amount",
    "label": {"fa": "مبلغ قبض (ریال)", "en": "Bill amount (rials)"},
    "type": "money",
    "required": True,
}
SERVICE = {
    "code": "bill",
    "title": {"fa": "پرداخت قبض", "en": "Bill payment"},
    "category": {"fa": "پرداخت‌ها", "en": "Payments"},
    "fees": {"government": 0, "office": 100_000, "vat_percent": 10},
    "fields": [FIELD],
}
PLAIN = {
    "code": "plain",
    "title": {"fa": "خدمت ساده", "en": "Plain"},
    "category": {"fa": "آزمایشی", "en": "Test"},
    "fees": {"government": 50_000, "office": 20_000, "vat_percent": 10},
}
DAY = dt.date(2026, 11, 25)
APPLICANT = {
    "national_code": "0012345679",
    "first_name": "علی",
    "last_name": "رضایی",
    "mobile": "09121234567",
}


def catalog(version: int, collected: bool) -> dict[str, Any]:
    service = copy.deepcopy(SERVICE)
    if collected:
        service["fields"][0]["collected"] = True
    return {
        "version": version,
        "published_at": "2026-11-01T00:00:00Z",
        "services": [service, PLAIN],
    }


def test_the_attribute_is_for_money_fields_and_a_boolean() -> None:
    doc = catalog(1, True)
    parsed = Catalog.from_document(doc)
    assert parsed.service("bill").collected_keys == ("amount",)
    assert Catalog.from_document(parsed.to_document()) == parsed
    assert "collected" not in str(Catalog.from_document(catalog(1, False)).to_document())
    wrong_type = copy.deepcopy(doc)
    wrong_type["services"][0]["fields"][0]["type"] = "number"
    with pytest.raises(CatalogError, match="only a money field has collected"):
        Catalog.from_document(wrong_type)
    not_bool = copy.deepcopy(doc)
    not_bool["services"][0]["fields"][0]["collected"] = "yes"
    with pytest.raises(CatalogError, match="collected: must be true or false"):
        Catalog.from_document(not_bool)
    demo = load_catalog_file(demo_catalog_path()).service("bill_payment")
    assert demo.collected_keys == ("amount",)
    payment = demo.payment({"bill_type": "water", "amount": "۲٬۵۰۰٬۰۰۰"})  # as typed
    assert payment.collected_total == 2_500_000
    assert payment.total == payment.fees.total + 2_500_000
    assert demo.payment({"amount": "2,50"}).collected_total == 0  # not an amount yet


def test_day_close_and_receipt_show_collected_money_apart_and_in_the_total(
    tmp_path: Path,
) -> None:
    store = Store.open(tmp_path / "data")
    try:
        initialise(store, office_code="1001", office_name="دفتر", counter_no=1)
        clerk = ClerkDirectory(store).create_manager("modir", "مدیر", "password-1")
        catalogs = CatalogStore(store)
        now = [dt.datetime.combine(DAY, dt.time(9), tzinfo=TEHRAN)]
        intake = Intake(store, catalogs, clock=lambda: now[0])

        def save(service: str, amount: str | None = None) -> str:
            answers = {"amount": amount} if amount is not None else {}
            return intake.save(
                clerk, RequestDraft(service, APPLICANT, answers, card_ref="123456")
            ).id

        # Version 1 did not mark the bill amount: a request made under it has no
        # collected money (its version is the one it is counted by).
        catalogs.import_catalog(Catalog.from_document(catalog(1, False)))
        save("bill", "700000")
        catalogs.import_catalog(Catalog.from_document(catalog(2, True)))
        intake = Intake(store, CatalogStore(store), clock=lambda: now[0])
        first = save("bill", "2500000")
        save("bill", "۱٬۰۰۰٬۰۰۰")
        save("plain")

        summary = day_summary(store, DAY)
        bill_fees = 100_000 + 10_000
        plain_fees = 50_000 + 20_000 + 2_000
        assert summary.total == Takings(4, 50_000, 320_000, 32_000, collected=3_500_000), (
            summary.total
        )
        assert summary.total.fees == 3 * bill_fees + plain_fees
        assert summary.total.total == 3 * bill_fees + plain_fees + 3_500_000
        (bill_line,) = [x for x in summary.lines if x.service_code == "bill"]
        assert bill_line.takings.collected == 3_500_000
        header, *_, grand, _ = csv_rows(summary, "fa")[1:]
        assert header[-3:] == [
            "جمع کارمزدها و هزینه‌ها (ریال)",
            "وجوه دریافتی برای دیگران (ریال)",
            "جمع دریافتی (ریال)",
        ]
        assert grand[-3:] == [summary.total.fees, 3_500_000, summary.total.total]
        plan = " ".join(query_plan(store, DAY))
        assert "USING INDEX ix_requests_created_at" in plan and "SCAN requests" not in plan

        receipt = receipt_for(store, first, lang="fa", catalogs=CatalogStore(store))
        assert receipt.total == bill_fees + 2_500_000
        assert receipt.qr_payload.endswith(f"|{bill_fees + 2_500_000}")
        kinds = [f.kind for f in receipt.fees]
        assert kinds == ["government", "office", "vat", "fees_total", "collected:amount"]
        collected = receipt.fees[-1]
        assert collected.label == "مبلغ قبض (ریال)" and collected.amount == 2_500_000
        assert receipt.fees[3].amount == bill_fees
    finally:
        store.close()
