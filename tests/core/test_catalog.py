"""The service catalogue document, the demo catalogue, form validation and fees."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import messages as m
from rules.catalog import (
    APPLICANT_FIELDS,
    Catalog,
    CatalogError,
    Fees,
    FieldType,
    ValidationFailed,
    demo_catalog_path,
    load_catalog_file,
    validate_request,
)
from rules.messages import Message
from rules.validation import FieldError

CORE = settings(database=None, deadline=None)
TODAY = dt.date(2026, 11, 28)  # 1405/09/07
REPO = Path(__file__).resolve().parents[2]


def label(fa: str, en: str) -> dict[str, str]:
    return {"fa": fa, "en": en}


def every_type_document() -> dict[str, Any]:
    """A small catalogue whose one service has a field of every type."""
    fields: list[dict[str, Any]] = [
        {
            "key": "note",
            "label": label("توضیح", "Note"),
            "type": "text",
            "required": False,
            "max_length": 20,
        },
        {
            "key": "owner_code",
            "label": label("کد ملی مالک", "Owner's code"),
            "type": "national_code",
            "required": True,
        },
        {
            "key": "receiver_mobile",
            "label": label("همراه گیرنده", "Receiver's mobile"),
            "type": "mobile",
            "required": True,
        },
        {
            "key": "postal_code",
            "label": label("کد پستی", "Postal code"),
            "type": "postal_code",
            "required": True,
        },
        {
            "key": "birth_date",
            "label": label("تاریخ تولد", "Date of birth"),
            "type": "jalali_date",
            "required": True,
            "past_only": True,
        },
        {
            "key": "weight",
            "label": label("وزن", "Weight"),
            "type": "number",
            "required": True,
            "min": 1,
            "max": 30000,
        },
        {
            "key": "kind",
            "label": label("نوع", "Kind"),
            "type": "choice",
            "required": True,
            "choices": [
                {"value": "plain", "label": label("عادی", "Plain")},
                {
                    "value": "express",
                    "label": label("پیشتاز", "Express"),
                    "fees": {"government": 50000, "office": 25},
                },
            ],
        },
        {"key": "value", "label": label("ارزش", "Value"), "type": "money", "required": False},
        {"key": "sheba", "label": label("شبا", "Sheba"), "type": "sheba", "required": True},
        {"key": "card", "label": label("کارت", "Card"), "type": "bank_card", "required": False},
    ]
    return {
        "version": 3,
        "published_at": "2026-11-01T00:00:00Z",
        "services": [
            {
                "code": "parcel",
                "active": True,
                "title": label("پذیرش مرسوله", "Parcel acceptance"),
                "category": label("پست", "Post"),
                "fees": {"government": 200000, "office": 125, "vat_percent": 10},
                "fields": fields,
                "documents": [
                    {
                        "key": "id_card",
                        "label": label("کارت ملی", "National card"),
                        "required": True,
                    },
                    {
                        "key": "invoice",
                        "label": label("فاکتور خرید", "Purchase invoice"),
                        "required": True,
                    },
                    {"key": "photo", "label": label("عکس", "Photo"), "required": False},
                ],
            },
            {
                "code": "retired",
                "active": False,
                "title": label("خدمت قدیمی", "Retired service"),
                "category": label("پست", "Post"),
                "fees": {"government": 0, "office": 0, "vat_percent": 0},
            },
        ],
    }


GOOD_APPLICANT = {
    "national_code": "۰۴۹۹۳۷۰۸۹۹",
    "first_name": "علي",
    "last_name": "كاظمي",
    "mobile": "+98 912 123 4567",
    "address": "",
}
GOOD_ANSWERS = {
    "note": "",
    "owner_code": "13542419",
    "receiver_mobile": "9121234567",
    "postal_code": "13456-78901",
    "birth_date": "۱۳۷۰/۱/۵",
    "weight": "۱٬۲۰۰",
    "kind": "express",
    "value": "",
    "sheba": "ir06 2960 0000 0010 0324 2000 01",
    "card": "",
}


# --- The demo catalogue -------------------------------------------------------------------


def test_demo_catalogue_loads_and_round_trips() -> None:
    path = demo_catalog_path()
    assert path == REPO / "resources" / "catalog" / "demo_catalog.json"
    catalog = load_catalog_file(path)
    assert catalog.version == 1
    # The file is written in canonical form, so nothing is lost or added on the way.
    assert catalog.to_document() == json.loads(path.read_text(encoding="utf-8"))
    assert Catalog.from_document(catalog.to_document()) == catalog


def test_demo_catalogue_is_rich_enough_to_exercise_the_form() -> None:
    catalog = load_catalog_file(demo_catalog_path())
    assert len(catalog.active_services()) >= 10
    used = {f.type for s in catalog.services for f in s.fields}
    assert used == set(FieldType)
    assert any(f.past_only for s in catalog.services for f in s.fields)
    assert any(not s.active for s in catalog.services)
    for service in catalog.services:
        assert service.title.fa and service.title.en
        # Office fees at these counters are tens of thousands of tomans.
        assert service.fees.office == 0 or 10_000 <= service.fees.office <= 5_000_000


def test_demo_service_validates_a_real_form() -> None:
    service = load_catalog_file(demo_catalog_path()).service("criminal_record")
    form = validate_request(
        service,
        GOOD_APPLICANT,
        {
            "purpose": "employment",
            "father_name": "محمد",
            "birth_date": "1370/01/05",
            "birth_place": "شیراز",
            "residence_postal_code": "7134678913",
        },
        ["national_card", "birth_certificate", "photo"],
        today=TODAY,
    )
    assert form.answers["birth_date"] == "1370/01/05"
    assert form.fees == Fees(government=650000, office=350000, vat=35000)


def test_demo_path_prefers_the_pyinstaller_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    # A bundle without the file (a broken build) falls back to the source tree.
    assert demo_catalog_path() == REPO / "resources" / "catalog" / "demo_catalog.json"
    bundled = tmp_path / "resources" / "catalog" / "demo_catalog.json"
    bundled.parent.mkdir(parents=True)
    shutil.copy(REPO / "resources" / "catalog" / "demo_catalog.json", bundled)
    assert demo_catalog_path() == bundled


def test_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "catalog.json"
    path.write_bytes(b'{"version": 1, ')
    with pytest.raises(CatalogError, match="not a UTF-8 JSON document"):
        load_catalog_file(path)
    path.write_bytes("{}".encode("utf-16"))
    with pytest.raises(CatalogError):
        load_catalog_file(path)


# --- Malformed documents ------------------------------------------------------------------


def _set(path: str, value: object) -> Any:
    """A change to every_type_document(): put `value` at a dotted path ("-" deletes)."""

    def change(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key: Any = int(last) if last.isdigit() else last
        if value == "-":
            del target[key]
        else:
            target[key] = value

    return change


def _dup_field(doc: dict[str, Any]) -> None:
    doc["services"][0]["fields"].append(copy.deepcopy(doc["services"][0]["fields"][0]))


def _dup_service(doc: dict[str, Any]) -> None:
    doc["services"][1]["code"] = "parcel"


def _dup_document(doc: dict[str, Any]) -> None:
    doc["services"][0]["documents"][1]["key"] = "id_card"


def _dup_choice(doc: dict[str, Any]) -> None:
    doc["services"][0]["fields"][6]["choices"][1]["value"] = "plain"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_set("services.0.fields.0.type", "phone"), "unknown field type 'phone'"),
        (_dup_field, "services[0].fields: duplicate key 'note'"),
        (_dup_service, "services: duplicate key 'parcel'"),
        (_dup_document, "services[0].documents: duplicate key 'id_card'"),
        (_dup_choice, "duplicate key 'plain'"),
        (_set("services.0.title", {"fa": "پذیرش"}), "services[0].title: missing en"),
        (_set("services.0.fields.1.label.fa", " "), "fields[1].label.fa: must be a non-empty"),
        (_set("services.0.documents.0.label", "کارت"), "documents[0].label: must be an object"),
        (_set("services.0.fields.6.choices", "-"), "choices: must be a list"),
        (_set("services.0.fields.6.choices", []), "needs at least one choice"),
        (_set("services.0.fees.office", -1), "fees.office: must be at least 0"),
        (_set("services.0.fees.government", 1.5), "fees.government: must be an integer"),
        (_set("services.0.fees.government", True), "fees.government: must be an integer"),
        (_set("services.0.fees.vat_percent", 101), "vat_percent: must be at most 100"),
        (_set("services.0.fields.6.choices.1.fees.office", -5), "fees.office: must be at least"),
        (_set("services.0.fields.0.requried", True), "unknown key(s) requried"),
        (_set("services.0.fields.5.min", 40000), "min is greater than max"),
        (_set("services.0.fields.5.max_length", 10), "only a text field has max_length"),
        (_set("services.0.fields.0.past_only", True), "only a jalali_date field has past_only"),
        (_set("services.0.fields.0.choices", []), "only a choice field has choices"),
        (_set("services.0.fields.0.max_length", 0), "max_length: must be at least 1"),
        (_set("services.0.fields.0.required", "yes"), "required: must be true or false"),
        (_set("services.0.fields.0.key", "Birth Date"), "must be a lower-case ASCII identifier"),
        (_set("services.0.code", "کارت"), "services[0].code: must be a lower-case"),
        (_set("services.0.fields.0.label", "-"), "services[0].fields[0]: missing label"),
        (_set("version", 0), "version: must be at least 1"),
        (_set("published_at", "yesterday"), "published_at: must be an ISO 8601 time"),
        (_set("services", []), "at least one service"),
        (_set("services.1", "retired"), "services[1]: must be an object"),
    ],
)
def test_malformed_documents_are_refused_with_a_reason(change: Any, reason: str) -> None:
    doc = every_type_document()
    Catalog.from_document(doc)  # the unchanged document is fine
    change(doc)
    with pytest.raises(CatalogError) as info:
        Catalog.from_document(doc)
    assert reason in info.value.reason
    assert info.value.message.en.startswith("The service catalogue is not valid: ")


def test_not_a_document_at_all() -> None:
    not_objects: tuple[object, ...] = (None, [], "catalogue", 3)
    for doc in not_objects:
        with pytest.raises(CatalogError, match="catalogue: must be an object"):
            Catalog.from_document(doc)


def test_catalogue_lookup() -> None:
    catalog = Catalog.from_document(every_type_document())
    assert [s.code for s in catalog.services] == ["parcel", "retired"]
    assert [s.code for s in catalog.active_services()] == ["parcel"]
    assert catalog.service("retired").active is False
    with pytest.raises(CatalogError) as info:
        catalog.service("passport")
    assert info.value.message == m.UNKNOWN_SERVICE.format(code=Message("passport", "passport"))
    assert catalog.service("parcel").field("weight").max_value == 30000
    with pytest.raises(CatalogError):
        catalog.service("parcel").field("colour")


def test_defaults_are_written_out_by_to_document() -> None:
    doc = every_type_document()
    del doc["services"][1]["active"]
    del doc["services"][0]["fields"][0]["max_length"]
    del doc["services"][0]["fields"][1]["required"]
    catalog = Catalog.from_document(doc)
    out = catalog.to_document()
    assert out["services"][1]["active"] is True
    assert out["services"][1]["fields"] == [] and out["services"][1]["documents"] == []
    assert out["services"][0]["fields"][0]["max_length"] == 200
    assert out["services"][0]["fields"][1]["required"] is False
    assert Catalog.from_document(out) == catalog
    json.dumps(out)  # plain JSON, ready for the change feed


# --- The applicant block ------------------------------------------------------------------


def test_applicant_fields() -> None:
    by_key = {f.key: f for f in APPLICANT_FIELDS}
    assert list(by_key) == ["national_code", "first_name", "last_name", "mobile", "address"]
    assert by_key["national_code"].type is FieldType.NATIONAL_CODE
    assert by_key["mobile"].type is FieldType.MOBILE
    assert (by_key["first_name"].max_length, by_key["last_name"].max_length) == (50, 80)
    assert by_key["address"].max_length == 250
    assert [f.required for f in APPLICANT_FIELDS] == [True, True, True, True, False]


# --- validate_request ---------------------------------------------------------------------


def test_a_good_form_comes_back_canonical() -> None:
    service = Catalog.from_document(every_type_document()).service("parcel")
    form = validate_request(
        service,
        GOOD_APPLICANT,
        GOOD_ANSWERS,
        ["invoice", "id_card", "id_card"],
        today=TODAY,
    )
    assert form.service_code == "parcel"
    assert form.applicant == {
        "national_code": "0499370899",
        "first_name": "علی",
        "last_name": "کاظمی",
        "mobile": "09121234567",
    }  # the empty optional address is omitted
    assert form.answers == {
        "owner_code": "0013542419",
        "receiver_mobile": "09121234567",
        "postal_code": "1345678901",
        "birth_date": "1370/01/05",
        "weight": "1200",
        "kind": "express",
        "sheba": "IR062960000000100324200001",
    }
    assert form.documents == ["id_card", "invoice"]  # sorted, once
    # 200,000 + 50,000 for express; office 125 + 25 = 150; VAT 10% of 150 = 15.
    assert form.fees == Fees(government=250000, office=150, vat=15)
    assert form.fees.total == 250165


def test_unknown_documents_and_control_characters_are_refused() -> None:
    """Unknown document keys are refused as unknown answer keys are (never dropped), and a
    name holding a NUL, a line break or a lone surrogate is refused (the server runs this)."""
    service = Catalog.from_document(every_type_document()).service("parcel")
    with pytest.raises(ValidationFailed) as caught:
        validate_request(
            service,
            dict(GOOD_APPLICANT, first_name="عل\x00ی", last_name="کاظ\nمی"),
            dict(GOOD_ANSWERS),
            ["invoice", "id_card", "scan", "x" * 5_000_000],
            today=TODAY,
        )
    errors = caught.value.errors
    assert set(errors) == {"applicant.first_name", "applicant.last_name", "documents"}
    assert errors["applicant.first_name"] == m.CONTROL_CHARACTERS
    assert "scan" in errors["documents"].en and len(errors["documents"].en) < 300
    with pytest.raises(ValidationFailed) as caught:
        validate_request(
            service,
            dict(GOOD_APPLICANT, first_name="\ud800"),
            dict(GOOD_ANSWERS),
            ["invoice", "id_card"],
            today=TODAY,
        )
    assert set(caught.value.errors) == {"applicant.first_name"}
    # Persian spelling survives: the ZWNJ and pasted direction marks are not controls.
    form = validate_request(
        service,
        dict(GOOD_APPLICANT, last_name="\u200fمحمدی\u200cنژاد"),
        dict(GOOD_ANSWERS),
        ["invoice", "id_card"],
        today=TODAY,
    )
    assert "\u200c" in form.applicant["last_name"]


def test_every_problem_is_reported_at_once() -> None:
    service = Catalog.from_document(every_type_document()).service("parcel")
    applicant = dict(GOOD_APPLICANT, national_code="0499370898", first_name=" ", mobile="0212")
    answers = dict(
        GOOD_ANSWERS,
        birth_date="1405/09/08",  # tomorrow, on a past-only date
        weight="0",
        kind="airmail",
        sheba="IR062960000000100324200002",
        colour="red",
    )
    del answers["owner_code"]
    with pytest.raises(ValidationFailed) as info:
        validate_request(service, applicant, answers, ["photo"], today=TODAY)
    errors = info.value.errors
    assert errors == {
        "applicant.national_code": m.NATIONAL_CODE_CHECKSUM,
        "applicant.first_name": m.REQUIRED,
        "applicant.mobile": m.MOBILE_INVALID,
        "answers.owner_code": m.REQUIRED,
        "answers.birth_date": m.DATE_TOO_LATE.format(limit="1405/09/07"),
        "answers.weight": m.NUMBER_TOO_SMALL.format(low=1),
        "answers.kind": m.CHOICE_NOT_ALLOWED,
        "answers.sheba": m.SHEBA_CHECKSUM,
        "answers": m.UNKNOWN_FIELDS.format(keys=Message("colour", "colour")),
        "documents": m.DOCUMENTS_MISSING.format(
            documents=Message(fa="کارت ملی، فاکتور خرید", en="National card, Purchase invoice")
        ),
    }
    assert errors["documents"].fa == "این مدارک الزامی علامت نخورده‌اند: کارت ملی، فاکتور خرید"
    assert info.value.message.fa == "۱۰ مورد در فرم نیاز به اصلاح دارد"
    assert info.value.message.en == "Entries in the form to correct: 10"
    assert info.value.errors["answers.sheba"] == m.SHEBA_CHECKSUM


def test_values_that_are_not_text_are_refused() -> None:
    service = Catalog.from_document(every_type_document()).service("parcel")
    answers: dict[str, Any] = dict(GOOD_ANSWERS, weight=1200, note=None)
    with pytest.raises(ValidationFailed) as info:
        validate_request(service, GOOD_APPLICANT, answers, ["id_card", "invoice"], today=TODAY)
    assert info.value.errors == {"answers.weight": m.INVALID_VALUE}  # None reads as empty


def test_unknown_applicant_key_is_an_error() -> None:
    service = Catalog.from_document(every_type_document()).service("parcel")
    applicant = dict(GOOD_APPLICANT, middle_name="x")
    with pytest.raises(ValidationFailed) as info:
        validate_request(service, applicant, GOOD_ANSWERS, ["id_card", "invoice"], today=TODAY)
    assert list(info.value.errors) == ["applicant"]


def test_past_only_allows_today_and_other_dates_allow_the_future() -> None:
    fields = Catalog.from_document(every_type_document()).service("parcel")
    birth = fields.field("birth_date")
    assert birth.check("1405/09/07", today=TODAY) == "1405/09/07"
    with pytest.raises(FieldError):
        birth.check("1405/09/08", today=TODAY)
    doc = every_type_document()
    doc["services"][0]["fields"][4]["past_only"] = False
    free = Catalog.from_document(doc).service("parcel").field("birth_date")
    assert free.check("1410/01/01", today=TODAY) == "1410/01/01"


def test_field_check_empty_optional_is_empty() -> None:
    service = Catalog.from_document(every_type_document()).service("parcel")
    assert service.field("card").check("\u200e ", today=TODAY) == ""
    with pytest.raises(FieldError) as info:
        service.field("sheba").check("", today=TODAY)
    assert info.value.message == m.REQUIRED


# --- Fees ---------------------------------------------------------------------------------


def _service_with_fees(government: int, office: int, vat_percent: int) -> Any:
    doc = every_type_document()
    doc["services"][0]["fees"] = {
        "government": government,
        "office": office,
        "vat_percent": vat_percent,
    }
    return Catalog.from_document(doc).service("parcel")


@pytest.mark.parametrize(
    ("office", "vat_percent", "vat"),
    [
        (125, 10, 13),  # 12.5 rounds half up
        (124, 10, 12),
        (135, 10, 14),  # 13.5 rounds up too (no banker's rounding)
        (5, 10, 1),
        (4, 10, 0),
        (450000, 10, 45000),
        (333333, 9, 30000),  # 29,999.97
        (100, 0, 0),
        (0, 10, 0),
    ],
)
def test_vat_rounding(office: int, vat_percent: int, vat: int) -> None:
    fees = _service_with_fees(1000, office, vat_percent).fees_for({"kind": "plain"})
    assert fees == Fees(government=1000, office=office, vat=vat)
    assert fees.to_dict() == {"government": 1000, "office": office, "vat": vat}
    assert fees.total == 1000 + office + vat


@CORE
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=100))
def test_vat_is_exact_half_up(office: int, vat_percent: int) -> None:
    expected = (Decimal(office) * vat_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    fees = _service_with_fees(0, office, vat_percent).fees_for({})
    assert isinstance(fees.vat, int) and fees.vat == int(expected)
